"""The data contracts between stages (numpy only; imported by both sides).

Observation store (written by ingest, read by partition)
--------------------------------------------------------
A Parquet dataset partitioned by year: ``<store>/year=YYYY/<chunk>.parquet``, one file per input chunk.
Columns: :data:`STORE_COLUMNS`. Units: oxygen and nutrients µmol/kg, temperature °C ITS-90, salinity PSS-78,
depth m (positive down), pressure dbar, time UTC, lon in [-180, 180).
A value that failed QC is NaN in the store and appears in ``<store>/rejected/year=YYYY/<chunk>.parquet``
with :data:`REJECTED_COLUMNS` (one row per rejected value, with its ``reason``).

HDF5 graph partitions (written by partition, read by ``oxygen_hpc.data``)
-------------------------------------------------------------------------
One file per year ``year=YYYY.h5``, one group per zone ``zone=ZZ``; dataset names in :data:`PARTITION_DATASETS`.
"""
from __future__ import annotations

# --- observation store -------------------------------------------------------------------------------------
VARIABLES = ("oxygen", "temperature", "salinity", "nitrate", "phosphate", "silicate")
SOURCES = ("wod", "cchdo", "argo", "glodap", "geotraces")

STORE_COLUMNS = {
    "source": "string",
    "source_file": "string",
    "cast_id": "string",
    "time": "timestamp[ns, tz=UTC]",
    "lat": "float64",
    "lon": "float64",
    "depth": "float32",
    "pressure": "float32",
    **{v: "float32" for v in VARIABLES},
}
REJECTED_COLUMNS = {
    "source": "string",
    "source_file": "string",
    "cast_id": "string",
    "time": "timestamp[ns, tz=UTC]",
    "lat": "float64",
    "lon": "float64",
    "depth": "float32",
    "variable": "string",
    "value": "float64",
    "reason": "string",
}

# Reasons a value is not used. Readers may add a suffix after ':' (e.g. "source_flag:4").
REASON_MISSING = "missing"            # fill value / NaN / not sampled: counted, never stored as data
REASON_SOURCE_FLAG = "source_flag"    # the source's own QC flag says bad or questionable
REASON_RANGE = "range"                # outside the plausible range for the variable
REASON_SUPERSAT = "supersaturation"   # O2 > 120 % of saturation below 200 m
REASON_DUPLICATE = "duplicate"        # same cast found in a source of higher priority
REASON_POSITION = "bad_position"      # lat/lon/time/depth of the level unusable
REASON_UNITS = "unknown_units"        # units could not be converted
REASON_GOOD = ""                      # good so far (readers, QC); accepted once it survives duplicates
REASON_ABSENT = "absent"              # the source does not carry this variable here: not a value, not counted

# Inside ingest, reasons travel as a pandas Categorical whose first categories are REASON_CODES, in this order, so
# their integer codes are fixed (CODE_GOOD = 0, …) and readers, QC and staging compare small integers; reasons
# with a source suffix ("source_flag:4") are further categories after these. The store, ``rejected/`` and the
# report carry the reason strings themselves.
REASON_CODES = (REASON_GOOD, REASON_ABSENT, REASON_MISSING, REASON_POSITION, REASON_UNITS, REASON_RANGE,
                REASON_SUPERSAT, REASON_DUPLICATE)
(CODE_GOOD, CODE_ABSENT, CODE_MISSING, CODE_POSITION, CODE_UNITS, CODE_RANGE, CODE_SUPERSAT,
 CODE_DUPLICATE) = range(len(REASON_CODES))

# --- HDF5 partitions ---------------------------------------------------------------------------------------
SCHEMA_VERSION = 1
SERIES_HALF_WIDTH = 5                  # series covers t-5 … t+5, centre masked
SERIES_LEN = 2 * SERIES_HALF_WIDTH + 1
PARTITION_DATASETS = (
    "x", "meta", "series", "series_mask", "series_fold", "y", "y_count", "fold",
    "nutrients", "nutrients_fold", "cell", "owned", "edge_index", "edge_attr",
)
NO_FOLD = -1
EXTRA_DATASETS = ("y_std",)            # written beside PARTITION_DATASETS: spread of the binned O2 (NaN none)

# --- metrics -----------------------------------------------------------------------------------------------
MAPE_FLOOR = 5.0  # µmol/kg: MAPE only over targets at least this large (near-anoxic values would dominate it)


def year_file(year: int) -> str:
    return f"year={int(year)}.h5"


def zone_group(zone: int) -> str:
    return f"zone={int(zone):02d}"
