"""Temporary files of ingest. Every output is written under ``<name>.tmp-<host>-<pid>`` and then renamed into place,
so a run that is killed leaves only such temporaries behind; :func:`remove_stale`, called at the start of a run,
deletes the ones whose writer is gone.

Safe with other live processes: a temporary is removed only when it was written on this host (the name says which)
by a process id that is no longer alive here. Temporaries of live processes (another ingest of the same store, its
Dask workers) and of other hosts (a Slurm worker elsewhere, whose processes cannot be asked) are left alone; a
temporary of the older ``<name>.tmp<pid>`` form is treated as this host's.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

HOST = os.uname().nodename
_TEMP = re.compile(r"\.tmp(?:-(?P<host>.+)-)?(?P<pid>\d+)$")


def temp_path(path: Path) -> Path:
    """Where this process writes ``path`` before renaming it."""
    return path.with_name(f"{path.name}.tmp-{HOST}-{os.getpid()}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True                    # another user's process, or not a pid this host can ask: keep its file
    return True


def remove_stale(store: str | Path) -> list[str]:
    """Delete the temporaries under ``store`` left by dead processes of this host; their paths relative to it."""
    removed = []
    for p in sorted(Path(store).rglob("*.tmp*")):
        m = _TEMP.search(p.name)
        if not m or not p.is_file() or (m["host"] is not None and m["host"] != HOST) or _alive(int(m["pid"])):
            continue
        p.unlink(missing_ok=True)
        removed.append(str(p.relative_to(store)))
    return removed
