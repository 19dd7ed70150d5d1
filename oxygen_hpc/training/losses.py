"""Training loss: masked MSE + the chemistry-informed (Redfield) regulariser.

Units
-----
Models predict ŷ in µmol/kg and expose ``target_std`` σ_y (µmol/kg). Both terms are computed on the
*normalised* prediction ẑ = ŷ / σ_y so that λ does not depend on the units:

* ``mse``  = mean over target nodes of ((ŷ − y) / σ_y)²; target nodes are owned nodes with finite ``y``.
* ``reg_po4`` = Var_i g_i^P, ``reg_no3`` = Var_i g_i^N over nodes with an observed nutrient
  (``nutrients_mask == 1`` in that column), where g_i = ∂(Σ_j ẑ_j) / ∂n_i is the sensitivity of the
  normalised predictions to node i's *normalised* nutrient input n_i (the total effect of that input on the
  field — with message passing a node's nutrient also moves its neighbours' predictions; this is the same
  quantity as the authors' ``autograd.grad(outputs=pred, grad_outputs=ones)``). Var is the population
  variance (``unbiased=False``); a column with fewer than 2 observed nodes contributes 0.
* ``anchor`` = (mean_i g_i^P − a)², only if ``redfield_anchor`` a is given.

Redfield anchor conversion
--------------------------
Remineralisation consumes about 170 mol O2 per mol P (Anderson & Sarmiento 1994), so in physical units
∂DO/∂PO4 ≈ −170 (µmol/kg per µmol/kg). With the loader's normalisation PO4_n = (PO4 − μ_P) / σ_P and
ẑ = ŷ / σ_y, the same slope is ∂ẑ/∂PO4_n = −170 · σ_P / σ_y; :func:`redfield_slope` computes it
(e.g. σ_P = 0.8 µmol/kg, σ_y = 80 µmol/kg → −1.7). Pass that number as ``redfield_anchor``.

total = mse + λ·(reg_po4 + reg_no3) + λ·anchor
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import torch
from torch import Tensor, nn

REDFIELD_O2_P = 170.0


def redfield_slope(po4_std: float, target_std: float = 80.0, o2_p: float = REDFIELD_O2_P) -> float:
    """The Redfield slope −O2:P in normalised units: ∂(ŷ/σ_y)/∂(PO4/σ_P) = −o2_p · σ_P / σ_y."""
    return -float(o2_p) * float(po4_std) / float(target_std)


def target_mask(batch: Any) -> Tensor:
    """Nodes that count in the MSE: finite ``y`` and ``owned`` (if the batch has ``owned``)."""
    mask = torch.isfinite(batch.y)
    owned = getattr(batch, "owned", None)
    if owned is not None:
        mask = mask & owned.bool()
    return mask


def masked_mse(pred: Tensor, batch: Any, target_std: float = 1.0) -> Tensor:
    """Mean of ((pred − y)/target_std)² over :func:`target_mask` nodes; 0 (with a graph) if there are none."""
    mask = target_mask(batch)
    if not bool(mask.any()):
        return pred.sum() * 0.0
    diff = (pred[mask] - batch.y[mask]) / target_std
    return (diff * diff).mean()


def nutrient_sensitivity(pred: Tensor, nutrients: Tensor, target_std: float = 1.0,
                         create_graph: bool = True) -> Tensor:
    """g = ∂(Σ pred / target_std) / ∂nutrients, [N, 2] (zeros if the prediction does not use the nutrients)."""
    (grad,) = torch.autograd.grad(pred.sum() / target_std, nutrients, create_graph=create_graph,
                                  allow_unused=True)
    if grad is None:
        return torch.zeros_like(nutrients)
    return grad


def _masked_var(values: Tensor, mask: Tensor) -> Tensor:
    if int(mask.sum()) < 2:
        return values.sum() * 0.0
    return values[mask].var(unbiased=False)


def regularised_loss(model: nn.Module, batch: Any, lam: float = 1.0,
                     redfield_anchor: Optional[float] = None) -> Tuple[Tensor, Dict[str, Tensor]]:
    """Run ``model(batch)`` and return ``(total, parts)`` with the MSE and the chemistry regulariser.

    Sets ``requires_grad`` on ``batch.nutrients`` before the forward (a fresh leaf if it is not already
    differentiable), differentiates the prediction with respect to it with ``create_graph=True`` (so the
    regulariser is itself trained through), and skips the whole gradient computation when ``lam == 0`` or no
    node has an observed nutrient.

    Args:
        model (nn.Module): ``forward(batch) -> [N]`` µmol/kg, with attribute ``target_std`` (µmol/kg, default 1).
        batch: a batch following the batch contract.
        lam (float): weight λ of the regulariser (and of the anchor term).
        redfield_anchor (float, optional): target mean of g^P in normalised units (see :func:`redfield_slope`).

    Returns:
        total loss (scalar) and ``parts``: ``mse``, ``reg_po4``, ``reg_no3``, ``anchor``, ``grad_po4_mean``,
        ``grad_no3_mean`` (all detached), ``pred`` (detached [N] prediction, µmol/kg), ``n_targets``.
    """
    target_std = float(getattr(model, "target_std", 1.0))
    nut_mask = batch.nutrients_mask.bool()
    want_reg = lam != 0 and bool(nut_mask.any())
    if want_reg and not batch.nutrients.requires_grad:
        batch.nutrients = batch.nutrients.detach().clone().requires_grad_(True)
    pred = model(batch)
    mse = masked_mse(pred, batch, target_std)
    zero = mse * 0.0
    reg_po4 = reg_no3 = anchor = zero
    g_po4_mean = g_no3_mean = zero.detach()
    if want_reg and torch.is_grad_enabled():
        g = nutrient_sensitivity(pred, batch.nutrients, target_std, create_graph=True)
        reg_po4 = _masked_var(g[:, 0], nut_mask[:, 0])
        reg_no3 = _masked_var(g[:, 1], nut_mask[:, 1])
        if bool(nut_mask[:, 0].any()):
            g_po4_mean = g[:, 0][nut_mask[:, 0]].mean()
            if redfield_anchor is not None:
                anchor = (g_po4_mean - float(redfield_anchor)) ** 2
        if bool(nut_mask[:, 1].any()):
            g_no3_mean = g[:, 1][nut_mask[:, 1]].mean()
    total = mse + lam * (reg_po4 + reg_no3 + anchor)
    parts = {
        "mse": mse.detach(), "reg_po4": reg_po4.detach(), "reg_no3": reg_no3.detach(), "anchor": anchor.detach(),
        "grad_po4_mean": g_po4_mean.detach(), "grad_no3_mean": g_no3_mean.detach(), "pred": pred.detach(),
        "n_targets": target_mask(batch).sum(),
    }
    return total, parts
