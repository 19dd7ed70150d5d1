"""Zip collections of one format's files (CCHDO publishes a cruise as one zip of per-station exchange files or of
per-station ``*_hy1.nc`` bottle netCDF files): the part shared by the readers that open them. Not a reader: it has no
``SOURCE``.

Every member is read by the reader's own member function from its bytes and named ``<archive>!<member>`` in its
problems and errors. A member that is not of the reader's format, cannot be decompressed, or raises
:class:`~preprocessing.readers.base.ReaderError` is a :class:`~preprocessing.readers.base.Problem` and the other
members are read; an archive with no readable member is a ReaderError naming the archive and what each member
had.
"""
from __future__ import annotations

import zipfile
from collections.abc import Callable

from preprocessing.readers.base import Problem, ReaderError, ReadResult, concat_rows

SEPARATOR = "!"


def member_name(archive: str, member: str) -> str:
    return f"{archive}{SEPARATOR}{member}"


def is_zip(path: str) -> bool:
    try:
        return zipfile.is_zipfile(path)
    except OSError:
        return False


def any_member(path: str, sniff: Callable[[bytes], bool], head: int = 4096) -> bool:
    """Whether a member's first ``head`` bytes satisfy ``sniff`` (a cheap ``can_read`` for zips)."""
    try:
        with zipfile.ZipFile(path) as zf:
            for m in zf.namelist():
                if not m.endswith("/"):
                    with zf.open(m) as fh:
                        if sniff(fh.read(head)):
                            return True
    except (OSError, zipfile.BadZipFile, EOFError, ValueError, NotImplementedError, RuntimeError):
        return False
    return False


def read_zip(path: str, is_member: Callable[[bytes], bool], read_member: Callable[[str, bytes], ReadResult],
             what: str) -> ReadResult:
    """Every member of the zip at ``path`` that ``is_member`` (its bytes) through ``read_member(name, data)``,
    where ``name`` is ``<path>!<member>``; ``what`` names the format in messages."""
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile, EOFError, ValueError) as e:
        raise ReaderError(path, f"not a readable zip file ({e})") from None
    parts, problems, lost = [], [], {}
    with zf:
        for m in (m for m in zf.namelist() if not m.endswith("/")):
            name = member_name(path, m)
            try:
                data = zf.read(m)
            except Exception as e:           # bad CRC, truncated or unsupported compression: this member only
                problems.append(Problem(name, "", f"damaged zip member, not read ({type(e).__name__}: {e})"))
                continue
            if not is_member(data):
                problems.append(Problem(name, "", f"not a {what} member; skipped"))
                continue
            try:
                res = read_member(name, data)
            except ReaderError as e:
                problems.append(e.problem)
                continue
            parts.append(res.rows)
            problems += res.problems
            for k, v in res.lost_values.items():
                lost[k] = lost.get(k, 0) + v
    if not parts:
        why = "; ".join(f"{p.file.rsplit(SEPARATOR, 1)[-1]}: {p.message}" for p in problems[:5]) or "no members"
        raise ReaderError(path, f"no readable {what} member in the zip file ({why})")
    return ReadResult(concat_rows(parts), problems, lost)
