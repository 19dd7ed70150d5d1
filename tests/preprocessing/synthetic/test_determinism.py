import hashlib
import json


def _digests(root):
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name != "summary.json":
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _summary(root):
    s = json.loads((root / "summary.json").read_text())
    s.pop("runtime_s")
    return s


def test_same_seed_same_bytes(tiny, tiny_again):
    root, _ = tiny
    a, b = _digests(root), _digests(tiny_again)
    assert len(a) > 20
    assert a == b
    assert _summary(root) == _summary(tiny_again)


def test_other_seed_differs(tiny, tiny_other):
    root, _ = tiny
    a, b = _digests(root), _digests(tiny_other)
    wod_a = {k: v for k, v in a.items() if k.startswith("wod/")}
    assert any(b.get(k) != v for k, v in wod_a.items())
    assert a["truth.nc"] != b["truth.nc"]          # ENSO and nitrate noise depend on the seed
    assert _summary(root)["observations"] != _summary(tiny_other)["observations"]
