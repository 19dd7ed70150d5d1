"""Small plots for run tracking (matplotlib, Agg)."""
from __future__ import annotations

import numpy as np

from oxygen_contracts.grid import GridSpec


def prediction_map(grid: GridSpec, cell: np.ndarray, pred: np.ndarray, obs: np.ndarray, level: int, title: str = ""):
    """RGB array: observed vs predicted DO at depth ``level`` (cells of validation targets), or None."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    g = grid
    k, j, i = g.unravel(cell)
    sel = k == level
    if not sel.any():
        return None
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), dpi=80)
    lon, lat = g.lon[i[sel]], g.lat[j[sel]]
    vmin, vmax = np.nanpercentile(np.r_[obs[sel], pred[sel]], [2, 98])
    for ax, val, name in ((axes[0], obs[sel], "observed"), (axes[1], pred[sel], "predicted")):
        sc = ax.scatter(lon, lat, c=val, s=12, vmin=vmin, vmax=vmax, cmap="viridis")
        ax.set_title(f"{name} O2, {g.depth[level]:.0f} m")
        ax.set_xlim(-180, 180), ax.set_ylim(-90, 90)
    fig.colorbar(sc, ax=axes[:2], label="µmol/kg")
    d = pred[sel] - obs[sel]
    lim = np.nanpercentile(np.abs(d), 98) or 1.0
    sc = axes[2].scatter(lon, lat, c=d, s=12, vmin=-lim, vmax=lim, cmap="RdBu_r")
    axes[2].set_title("predicted − observed"), axes[2].set_xlim(-180, 180), axes[2].set_ylim(-90, 90)
    fig.colorbar(sc, ax=axes[2])
    fig.suptitle(title)
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return image
