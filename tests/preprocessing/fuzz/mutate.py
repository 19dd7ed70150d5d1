"""The fuzz inputs: seed files (real ones from tests/data/real and small synthetic ones) and seeded mutations of
them — truncation at many offsets, bit flips, bytes that are not UTF-8, non-numbers and absurd numbers, dropped
variables and columns, repeated header lines.

Every case is a pure function of :data:`SEED` and its id, so a failure is reproduced by its id alone. A case knows
whether its damage is *detectable* (``expect_unclean``): a netCDF file cut short, a CSV line cut or holding a bad
byte or a non-number in a column the reader uses, a repeated header, a WOD cast cut before its last character, a
variable whose loss the format makes visible. Such a case must end in an error or a problem (so ``--strict``
fails); other damage (a bit flip inside a float, a cut at a line boundary) is not detectable in these formats and
is only required not to crash and to stay accounted.
"""
from __future__ import annotations

import random
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tests.fixtures import REAL_DATA

SEED = 16
NON_NUMBERS = ("abc", "#REF!", "inf", "-inf", "1e400", "-1e999", "0x1F", "--2", "1.2.3")
ABSURD = ("1e308", "-1e308", "99999999999", "-0")            # numbers: read, then range QC decides
BAD_BYTES = (b"\xff", b"\xfe", b"\xc3(", b"\x80", b"\xed\xa0\x80")
CUTS = (0.0, 0.002, 0.05, 0.2, 0.5, 0.9, 0.999)


@dataclass(frozen=True)
class Seed:
    name: str
    source: str
    kind: str                      # netcdf | csv | exchange | wod_ascii | zip
    file: str                      # a path under tests/data/real, or the name a synthetic builder writes
    numeric: tuple = ()            # CSV: columns the reader reads as numbers (exact header text)
    text: tuple = ()               # CSV: string columns the reader uses
    drops: tuple = ()              # variables / columns to drop, one case each
    unclean_drops: tuple = ()      # ... whose loss must be reported
    absurd: tuple = ()             # netCDF variables to overwrite with absurd numbers
    data_end: int | None = None    # netCDF: bytes after this are the writer's padding, not data
    n_random: int = 3              # random cuts and bit-flip cases


def _wod_small(path: Path) -> None:
    from tests.preprocessing.readers.test_wod_ragged import _write
    _write(path, ox_units="umol/kg")


def _glodap_small(path: Path) -> None:
    from tests.preprocessing.readers.test_glodap import write_csv
    write_csv(path, 120, seed=5)


def _hy1_zip(path: Path) -> None:
    from tests.preprocessing.readers.test_cchdo_netcdf import _station_copy
    other = _station_copy(path.with_name("p03a_00200_00001_hy1.nc"), "200")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(REAL_DATA / "cchdo" / "p03a_00199_00001_hy1.nc", "p03a_00199_00001_hy1.nc")
        zf.write(other, other.name)
    other.unlink()


def _exchange_zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for n in ("64PE20050907_hy1.csv", "a10_33RO20110926_hy1.csv"):
            zf.write(REAL_DATA / "cchdo" / n, n)


BUILDERS = {"wod_small.nc": _wod_small, "GLODAPv2_small.csv": _glodap_small, "31TTTPS24_2_nc_hyd.zip": _hy1_zip,
            "cruise_hy1.zip": _exchange_zip}

SEEDS = (
    Seed("argo_sd", "argo", "netcdf", "argo/SD5904989_012.nc", drops=("PRES", "DOXY_ADJUSTED_QC", "JULD"),
         absurd=("DOXY_ADJUSTED", "PRES", "LATITUDE", "JULD")),
    Seed("argo_r", "argo", "netcdf", "argo/6903247/R6903247_001.nc", drops=("STATION_PARAMETERS",), absurd=("TEMP",),
         n_random=2),
    Seed("argo_erddap", "argo", "netcdf", "argo/erddap_labrador_sea_surface.nc", drops=("pres",),
         absurd=("doxy_adjusted",), n_random=1),
    Seed("wod_osd", "wod", "netcdf", "wod/ocldb1570984477.6279_OSD.nc", drops=("Oxygen_row_size", "z"),
         unclean_drops=("Oxygen_row_size",), absurd=("Oxygen", "lat")),
    Seed("wod_small", "wod", "netcdf", "wod_small.nc", drops=("Oxygen_row_size", "Temperature", "time"),
         unclean_drops=("Oxygen_row_size", "Temperature"), absurd=("Oxygen", "z")),
    Seed("wod_classic", "wod", "wod_ascii", "wod/classic.dat"),
    Seed("wod_iquod", "wod", "wod_ascii", "wod/iquod.dat", n_random=2),
    Seed("cchdo_nc", "cchdo", "netcdf", "cchdo/p03a_00199_00001_hy1.nc", drops=("pressure", "bottle_oxygen_QC"),
         unclean_drops=("pressure",), absurd=("bottle_oxygen", "pressure"), data_end=14992),
    Seed("cchdo_hy1_zip", "cchdo", "zip", "31TTTPS24_2_nc_hyd.zip", n_random=2),
    Seed("cchdo_ex_zip", "cchdo", "zip", "cruise_hy1.zip", n_random=2),
    Seed("cchdo_64pe", "cchdo", "exchange", "cchdo/64PE20050907_hy1.csv", numeric=("OXYGEN", "CTDPRS", "LATITUDE"),
         text=("EXPOCODE",), drops=("OXYGEN", "CTDPRS"), unclean_drops=("CTDPRS",)),
    Seed("cchdo_btl_csv", "cchdo", "csv", "cchdo/btl_csv.csv", numeric=("CTDOXY [UMOL/KG]", "CTDPRS [DBAR]"),
         text=("STNNBR",), drops=("CTDOXY [UMOL/KG]_FLAG_W",)),
    Seed("geotraces_gn01", "geotraces", "csv", "geotraces/GN01bottpump.csv",
         numeric=("CTDOXY_D_CONC_SENSOR_umol_kg_", "Latitude_degrees_north_", "DEPTH_m_"), text=("Cruise",),
         drops=("QV_SEADATANET3", "Latitude_degrees_north_"), unclean_drops=("Latitude_degrees_north_",), n_random=2),
    Seed("geotraces_gipy04", "geotraces", "csv", "geotraces/GIPY04.csv",
         numeric=("CTDTMP [deg C]", "Longitude [degrees_east]", "PHOSPHATE_D_CONC_BOTTLE [umol/kg]"),
         text=("Station",), drops=("DEPTH [m]",), n_random=2),
    Seed("glodap_small", "glodap", "csv", "GLODAPv2_small.csv", numeric=("G2oxygen", "G2latitude", "G2oxygenf"),
         text=("G2expocode",), drops=("G2oxygenf", "G2latitude", "G2nitrate"),
         unclean_drops=("G2oxygenf", "G2latitude")),
)


@dataclass(frozen=True)
class Case:
    id: str
    seed: Seed
    op: str                          # cut | flip | badbyte | number | absurd_text | repeat_header | drop | absurd
    arg: object = None
    extra: dict = field(default_factory=dict, hash=False, compare=False)


def cases() -> list[Case]:
    """Every fuzz case, in a fixed order (a function of :data:`SEED` only)."""
    rng = random.Random(SEED)
    out = []
    for s in SEEDS:
        def add(op, arg=None, label=None):
            out.append(Case(f"{s.name}-{op}-{label if label is not None else arg}", s, op, arg))

        for c in CUTS:
            add("cut", c)
        for k in range(s.n_random):
            add("cut", round(rng.random(), 4))
            add("flip", (rng.randrange(1 << 30), rng.choice((1, 3, 16))), label=k)
        for d in s.drops:
            add("drop", d)
        for v in s.absurd:
            add("absurd", (v, rng.choice((np.inf, -np.inf, np.nan, 1e30, -1e30))), label=v)
        if s.kind in ("csv", "exchange"):
            for k in range(2):
                add("badbyte", (rng.randrange(1 << 30), rng.choice(BAD_BYTES)), label=k)
            for k in range(3):
                add("number", (rng.randrange(1 << 30), rng.choice(NON_NUMBERS)), label=k)
            add("absurd_text", (rng.randrange(1 << 30), rng.choice(ABSURD)), label=0)
            add("repeat_header", rng.randrange(1 << 30), label=0)
    return out


def seed_bytes(seed: Seed, work: Path) -> bytes:
    """The seed file's bytes (built once per work folder for the synthetic seeds)."""
    if seed.file in BUILDERS:
        p = work / "_seeds" / seed.file
        if not p.exists():
            p.parent.mkdir(parents=True, exist_ok=True)
            BUILDERS[seed.file](p)
        return p.read_bytes()
    return (REAL_DATA / seed.file).read_bytes()


def materialize(case: Case, folder: Path, work: Path) -> tuple[Path, bool]:
    """Write the case's file into ``folder`` (under the seed's own name); returns (path, expect_unclean)."""
    from tests.preprocessing.fuzz import damage

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / Path(case.seed.file).name
    data = seed_bytes(case.seed, work)
    if case.op in ("drop", "absurd") and case.seed.kind == "netcdf":
        src = work / "_seeds" / ("src_" + path.name)
        src.parent.mkdir(parents=True, exist_ok=True)
        src.write_bytes(data)
        unclean = damage.netcdf_edit(src, path, case)
        src.unlink()
        return path, unclean
    new, unclean = getattr(damage, case.op)(data, case)
    path.write_bytes(new)
    return path, unclean


def copy_seed(seed: Seed, folder: Path, work: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / Path(seed.file).name
    if seed.file in BUILDERS:
        path.write_bytes(seed_bytes(seed, work))
    else:
        shutil.copy(REAL_DATA / seed.file, path)
    return path
