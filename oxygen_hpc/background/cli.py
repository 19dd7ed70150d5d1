"""``oxygen-hpc background --partitions DIR --val-fold 0 --test-fold 1 [--out FILE]``: fit the background's trees
on the training folds and write ``background.h5`` for one choice of held-out folds (docs/architecture.md,
"Background field"). Give it to training with ``--data.init_args.background=FILE``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from oxygen_contracts.manifest import ManifestError
from oxygen_contracts.partitions import PartitionError


def _fold(text: str) -> int | None:
    return None if text.lower() in ("none", "-1") else int(text)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="oxygen-hpc background", description=__doc__.split("\n\n")[0])
    p.add_argument("--partitions", required=True, help="partitions folder (manifest.json + year=YYYY.h5)")
    p.add_argument("--val-fold", type=_fold, default=0, help="held-out validation fold (none: no fold held out)")
    p.add_argument("--test-fold", type=_fold, default=1, help="held-out test fold (none: no fold held out)")
    p.add_argument("--out", help="output file (default PARTITIONS/background_v<val>_t<test>.h5)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-iter", type=int, default=300, help="boosting iterations of each tree ensemble")
    a = p.parse_args(argv)
    out = Path(a.out) if a.out else Path(a.partitions) / f"background_v{a.val_fold}_t{a.test_fold}.h5"
    from oxygen_hpc.background.build import build_background

    try:
        build_background(a.partitions, out, a.val_fold, a.test_fold, seed=a.seed, max_iter=a.max_iter)
    except (ManifestError, PartitionError, ValueError) as e:
        print(f"oxygen-hpc background: {e}", file=sys.stderr)
        return 2
    print(f"background -> {out}")
    return 0
