"""Unit and scale conversions used by the readers (TEOS-10 via gsw)."""
from __future__ import annotations

import gsw
import numpy as np

# 1 ml of O2 at STP = 44.6596 µmol (Garcia & Gordon 1992; WOD and WOA use this factor).
ML_PER_L_TO_UMOL_PER_L = 44.6596
DEFAULT_SALINITY = 35.0
DEFAULT_TEMPERATURE = 10.0


def in_situ_density(temperature, salinity, pressure, lat=0.0, lon=0.0) -> np.ndarray:
    """In-situ density (kg/m³) from in-situ T (°C ITS-90), practical salinity and pressure (dbar).

    Missing T or S fall back to 10 °C / 35 (the density error is then < 0.3 %)."""
    t = np.where(np.isfinite(temperature), temperature, DEFAULT_TEMPERATURE)
    sp = np.where(np.isfinite(salinity), salinity, DEFAULT_SALINITY)
    p = np.where(np.isfinite(pressure), pressure, 0.0)
    sa = gsw.SA_from_SP(sp, p, lon, lat)
    ct = gsw.CT_from_t(sa, t, p)
    return np.asarray(gsw.rho(sa, ct, p))


def per_litre_to_per_kg(value_umol_per_l, temperature, salinity, pressure, lat=0.0, lon=0.0) -> np.ndarray:
    """µmol/L → µmol/kg using the in-situ density."""
    rho = in_situ_density(temperature, salinity, pressure, lat, lon)
    return np.asarray(value_umol_per_l, float) / (rho / 1000.0)


def oxygen_ml_per_l_to_umol_per_kg(value_ml_per_l, temperature, salinity, pressure, lat=0.0, lon=0.0):
    """O2 ml/L → µmol/kg (×44.6596, then ÷ density/1000)."""
    return per_litre_to_per_kg(np.asarray(value_ml_per_l, float) * ML_PER_L_TO_UMOL_PER_L,
                               temperature, salinity, pressure, lat, lon)


def its90_from_ipts68(t68):
    """IPTS-68 → ITS-90 (T90 = T68 / 1.00024)."""
    return np.asarray(t68, float) / 1.00024


def depth_from_pressure(pressure, lat):
    """Depth (m, positive down) from pressure (dbar) at latitude (gsw.z_from_p)."""
    return -np.asarray(gsw.z_from_p(np.asarray(pressure, float), np.asarray(lat, float)))


def pressure_from_depth(depth, lat):
    return np.asarray(gsw.p_from_z(-np.asarray(depth, float), np.asarray(lat, float)))


def wrap_lon(lon):
    """Longitudes to [-180, 180)."""
    return (np.asarray(lon, float) + 180.0) % 360.0 - 180.0


def oxygen_solubility(salinity, temperature, pressure, lat=0.0, lon=0.0):
    """O2 solubility (µmol/kg) at in-situ T/S (gsw.O2sol_SP_pt with potential temperature)."""
    sp = np.asarray(salinity, float)
    t = np.asarray(temperature, float)
    p = np.asarray(pressure, float)
    sa = gsw.SA_from_SP(sp, p, lon, lat)
    pt = gsw.pt0_from_t(sa, t, p)
    return np.asarray(gsw.O2sol_SP_pt(sp, pt))


# --- concentration units (added for the CCHDO / GLODAP / GEOTRACES readers) ------------------------------------
_PER_KG = {"UMOL/KG", "UMOLKG-1", "UMOL_KG", "UMOL_KG_", "MICROMOL/KG", "UMOLPERKG"}
_PER_L = {"UMOL/L", "UMOLL-1", "UMOL_L", "UMOL_L_", "UMOL/LITER", "UMOL/LITRE", "MICROMOL/L", "MMOL/M3",
          "MMOL/M^3", "MMOLM-3", "MMOL/M**3"}
_ML_L = {"ML/L", "MLL-1", "ML_L", "ML_L_", "ML/LITER", "ML/LITRE"}


def concentration_unit_kind(unit: str | None) -> str | None:
    """Classify a concentration unit string: 'per_kg' (µmol/kg), 'per_l' (µmol/L = mmol/m³), 'ml_l' (ml/L,
    oxygen only) or None (unknown). Case, spaces and 'µ'/'μ' spellings are normalised."""
    if unit is None:
        return None
    u = str(unit).strip().upper().replace(" ", "").replace("µ", "U").replace("Μ", "U").replace("\u03bc", "U")
    if u in _PER_KG:
        return "per_kg"
    if u in _PER_L:
        return "per_l"
    if u in _ML_L:
        return "ml_l"
    return None


def to_umol_per_kg(values, unit_kind: str, temperature, salinity, pressure, lat=0.0, lon=0.0):
    """Values in ``unit_kind`` (see :func:`concentration_unit_kind`) → µmol/kg (in-situ density from T, S, p)."""
    v = np.asarray(values, float)
    if unit_kind == "per_kg":
        return v
    if unit_kind == "per_l":
        return per_litre_to_per_kg(v, temperature, salinity, pressure, lat, lon)
    if unit_kind == "ml_l":
        return oxygen_ml_per_l_to_umol_per_kg(v, temperature, salinity, pressure, lat, lon)
    raise ValueError(f"unknown concentration unit kind {unit_kind!r}")


def is_ipts68(unit: str | None) -> bool:
    """True when a temperature unit string names the IPTS-68 scale (e.g. 'IPTS-68', 'DEG C IPTS68')."""
    return unit is not None and "68" in str(unit).upper().replace(" ", "")


# --- netCDF unit attributes (Argo, WOD: moved from readers/argo.py) -----------------------------------------
def unit_kind(units: str | None) -> str | None:
    """'per_kg', 'per_l', 'ml_l' or None for an oxygen/nutrient ``units`` attribute of the Argo and WOD netCDF
    files (lower-cased; 'micromole/kg', 'umol kg-1', 'mmol/m3', 'ml/l(...)' spellings). Accepts a different set of
    spellings than :func:`concentration_unit_kind` (the CSV readers'); kept apart so neither reader family's
    accepted units change."""
    u = (units or "").strip().lower().replace(" ", "").replace("µ", "u").replace("μ", "u")
    u = u.replace("micromole", "umol").replace("micromol", "umol").replace("mmol/m3", "umol/l")
    u = u.replace("kg-1", "/kg").replace("l-1", "/l").replace("umolkg", "umol/kg")
    if u in ("umol/kg",):
        return "per_kg"
    if u in ("umol/l", "umol/liter", "umol/litre", "um"):
        return "per_l"
    if u in ("ml/l",) or u.startswith("ml/l("):
        return "ml_l"
    return None


def convert_concentration(values, kind, temperature, salinity, pressure, lat, lon, oxygen: bool):
    """Values in unit ``kind`` (see :func:`unit_kind`) → µmol/kg; None when the unit cannot be converted (unknown
    kind, or ml/l of anything but oxygen)."""
    if kind == "per_kg":
        return np.asarray(values, float)
    if kind == "per_l":
        return per_litre_to_per_kg(values, temperature, salinity, pressure, lat, lon)
    if kind == "ml_l" and oxygen:
        return oxygen_ml_per_l_to_umol_per_kg(values, temperature, salinity, pressure, lat, lon)
    return None
