"""MLP feature encoder: node input vector → hidden vector."""
from __future__ import annotations

from torch import Tensor, nn


class FeatureEncoder(nn.Module):
    r"""A small MLP with smooth activations, :math:`h = W_L\,\mathrm{SiLU}(\dots\mathrm{SiLU}(W_1 x))`.

    Smooth (SiLU) rather than ReLU so that second derivatives exist: the chemistry regulariser differentiates
    the prediction with respect to the nutrient inputs and then back-propagates through that gradient.

    Args:
        in_features (int): size F of the input vector.
        hidden (int): width of the hidden layers and of the output.
        layers (int): number of linear layers (>= 1).
        dropout (float): dropout after each hidden activation.
        out_act (bool): apply SiLU after the last layer too.

    Shapes:
        - **input:** x [N, F]
        - **output:** [N, hidden]
    """

    def __init__(self, in_features: int, hidden: int = 32, layers: int = 2, dropout: float = 0.0,
                 out_act: bool = True) -> None:
        super().__init__()
        if layers < 1:
            raise ValueError(f"layers must be >= 1, got {layers}")
        self.in_features, self.hidden, self.layers = in_features, hidden, layers
        mods: list[nn.Module] = []
        width = in_features
        for i in range(layers):
            mods.append(nn.Linear(width, hidden))
            if i < layers - 1 or out_act:
                mods.append(nn.SiLU())
                if dropout > 0 and i < layers - 1:
                    mods.append(nn.Dropout(dropout))
            width = hidden
        self.net = nn.Sequential(*mods)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_features}, hidden={self.hidden}, layers={self.layers})"
