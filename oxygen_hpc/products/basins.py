"""Ocean basins as a simple lon/lat mask (a union of lon/lat boxes per basin, first match wins).

Rules, applied in this order to each column's centre (longitude wrapped to [-180, 180)):

1. ``southern``: lat < -45.
2. ``arctic``: lat > 66 (the Nordic Seas north of 66°N count as Arctic).
3. ``indian``: 20°E–147°E for -45 <= lat < -8 (south of Java/Timor, to Tasmania);
   20°E–100°E for -8 <= lat < 30 (Arabian Sea, Red Sea, Persian Gulf, Bay of Bengal, Andaman Sea).
4. ``atlantic``: 70°W–20°E for -45 <= lat < 9; 84°W–20°E for 9–14°N (Caribbean);
   89°W–20°E for 14–17°N; 98°W–20°E for 17–30°N (Gulf of Mexico); 100°W–60°E for 30–66°N (incl. Mediterranean,
   Black Sea, Hudson Bay and, if the land mask keeps it, the Caspian).
5. ``pacific``: everything else (incl. the Indonesian seas north of 8°S and the South China Sea).

The cut-offs are deliberately coarse (they matter little on 1–4° grids); every column belongs to exactly one
basin, so the basin sums of any extensive quantity (area, volume, inventory) equal the global sum.
"""
from __future__ import annotations

import numpy as np

BASINS = ("atlantic", "pacific", "indian", "southern", "arctic")

# (basin, lon_min, lon_max, lat_min, lat_max): half-open boxes [min, max)
_BOXES = (
    ("indian", 20.0, 147.0, -45.0, -8.0),
    ("indian", 20.0, 100.0, -8.0, 30.0),
    ("atlantic", -70.0, 20.0, -45.0, 9.0),
    ("atlantic", -84.0, 20.0, 9.0, 14.0),
    ("atlantic", -89.0, 20.0, 14.0, 17.0),
    ("atlantic", -98.0, 20.0, 17.0, 30.0),
    ("atlantic", -100.0, 60.0, 30.0, 66.0 + 1e-9),
)


def basin_index(lat, lon) -> np.ndarray:
    """[nlat, nlon] int: index into :data:`BASINS` of each column (lat, lon are 1-D cell-centre coordinates)."""
    LA, LO = np.meshgrid(np.asarray(lat, float), (np.asarray(lon, float) + 180.0) % 360.0 - 180.0, indexing="ij")
    out = np.full(LA.shape, BASINS.index("pacific"), dtype=np.int8)
    done = np.zeros(LA.shape, dtype=bool)
    for name, cond in (("southern", LA < -45.0), ("arctic", LA > 66.0)):
        out[cond & ~done] = BASINS.index(name)
        done |= cond
    for name, lo0, lo1, la0, la1 in _BOXES:
        cond = (LO >= lo0) & (LO < lo1) & (LA >= la0) & (LA < la1) & ~done
        out[cond] = BASINS.index(name)
        done |= cond
    return out


def basin_masks(lat, lon) -> dict[str, np.ndarray]:
    """{basin: [nlat, nlon] bool}; the masks are disjoint and cover every column."""
    idx = basin_index(lat, lon)
    return {name: idx == k for k, name in enumerate(BASINS)}
