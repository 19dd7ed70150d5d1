"""Missing values in the synthetic CSV writers follow each format's convention, never a literal ``nan``."""
import numpy as np

from preprocessing.readers import cchdo_exchange, geotraces as geotraces_reader
from preprocessing.synthetic.sampling import YearCasts
from preprocessing.synthetic.writers import cchdo, geotraces


def _casts(bottom=4000.0):
    cast = {"src": np.array([1], np.int8), "lat": np.array([10.0]), "lon": np.array([-30.0]),
            "time": np.array(["2010-03-04T05:06:00"], "datetime64[s]"), "cruise": np.array([7]),
            "station": np.array([1]), "has_o2": np.array([True]), "has_nut": np.array([True]),
            "dup_of": np.array([-1]), "bottom": np.array([bottom]), "dup_role": np.array([0], np.int8)}
    n = 3
    level = {"cast": np.zeros(n, np.int64), "depth": np.array([5.0, 100.0, 500.0]),
             "pressure": np.array([5.0, 100.8, 504.0]), "solubility": np.full(n, 250.0),
             "fault": np.zeros(n, np.int8),
             "temperature": np.array([np.nan, 15.0, 6.0]), "salinity": np.array([35.0, np.nan, 34.8]),
             "oxygen": np.array([220.0, 200.0, 150.0]), "phosphate": np.array([0.2, 0.5, 1.5]),
             "nitrate": np.array([1.0, 5.0, 20.0]), "silicate": np.array([1.0, 3.0, 15.0])}
    return YearCasts(2010, cast, level, {7: "33RO20100304"})


def test_cchdo_missing_temperature_and_salinity_are_minus999_flag9(tmp_path):
    path = tmp_path / "33RO20100304_hy1.csv"
    cchdo.write(path, "33RO20100304", np.array([0]), _casts(bottom=np.nan))
    text = path.read_text()
    assert "nan" not in text.lower()
    body = [ln for ln in text.splitlines()[1:] if not ln.startswith("#")]
    names = body[0].split(",")
    assert len(body[1].split(",")) == len(names)
    rows = [dict(zip(names, (v.strip() for v in ln.split(",")))) for ln in body[2:body.index("END_DATA")]]
    assert len(rows) == 3 and all(len(r) == len(names) for r in rows)
    assert (rows[0]["CTDTMP"], rows[0]["CTDTMP_FLAG_W"]) == ("-999", "9")
    assert (rows[1]["CTDSAL"], rows[1]["CTDSAL_FLAG_W"]) == ("-999", "9")
    assert (rows[1]["CTDTMP"], rows[1]["CTDTMP_FLAG_W"]) == ("15.0000", "2")
    assert (rows[0]["CTDSAL"], rows[0]["CTDSAL_FLAG_W"]) == ("35.0000", "2")
    assert rows[0]["DEPTH"] == "-999"                 # unknown bottom depth: the fill value too
    df = cchdo_exchange.read(str(path)).rows
    df = df.sort_values("pressure").reset_index(drop=True)
    assert list(df["temperature_reason"]) == ["missing", "", ""]
    assert list(df["salinity_reason"]) == ["", "missing", ""]
    assert list(df["oxygen_reason"]) == ["", "", ""]


def test_geotraces_missing_values_are_empty_flag9(tmp_path):
    path = tmp_path / "GA01.csv"
    geotraces.write(path, "GA01", np.array([0]), _casts(bottom=np.nan))
    assert "nan" not in path.read_text().lower()
    df = geotraces_reader.read(str(path)).rows.sort_values("pressure").reset_index(drop=True)
    assert len(df) == 3
    assert list(df["temperature_reason"]) == ["missing", "", ""]
    assert list(df["salinity_reason"]) == ["", "missing", ""]
    assert list(df["oxygen_reason"]) == ["", "", ""]
