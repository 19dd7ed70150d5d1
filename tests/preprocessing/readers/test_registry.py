"""The reader registry and the reader contract: every registered module is a Reader of its source, every reader
is registered, and no reader imports another reader (shared code lives in helper modules)."""
import ast
import inspect
from pathlib import Path

import pytest

from oxygen_contracts.schema import SOURCES
from preprocessing.readers import registry
from preprocessing.readers.base import Reader, ReaderOptions, StreamingReader

READERS_DIR = Path(registry.__file__).resolve().parent
REGISTERED = [(source, name) for source, names in registry.READERS.items() for name in names]
NAMES = {name for _, name in REGISTERED}


def test_every_source_has_readers():
    assert set(registry.READERS) == set(SOURCES)
    assert all(registry.READERS[s] for s in SOURCES)


@pytest.mark.parametrize("source,name", REGISTERED)
def test_registered_module_is_a_reader(source, name):
    mod = registry.reader_module(name)
    assert isinstance(mod, Reader)
    assert mod.SOURCE == source
    inspect.signature(mod.can_read).bind("x.nc")
    inspect.signature(mod.read).bind("x.nc", ReaderOptions())
    if hasattr(mod, "iter_read"):
        assert isinstance(mod, StreamingReader)
        inspect.signature(mod.iter_read).bind("x.nc", ReaderOptions(), 1000)


def test_every_reader_is_registered():
    readers = {p.stem for p in READERS_DIR.glob("*.py") if "\nSOURCE = " in p.read_text()}
    assert readers == NAMES


def _imported_modules(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return out


@pytest.mark.parametrize("path", sorted(READERS_DIR.glob("*.py")), ids=lambda p: p.stem)
def test_no_module_imports_a_reader(path):
    """Readers and helpers import only base and the shared helper modules, never a reader."""
    readers = {f"preprocessing.readers.{n}" for n in NAMES}
    assert not (_imported_modules(path) & readers)


def test_route_unclaimed_file(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("not an observation file\n")
    assert all(registry.route(source, str(p)) is None for source in registry.READERS)


@pytest.mark.parametrize("source,name", REGISTERED)
def test_reader_names_its_format_and_extensions(source, name):
    """Ingest says why no reader claims a file with these (an extension not in SUFFIXES; not a FORMAT file)."""
    mod = registry.reader_module(name)
    assert isinstance(mod.FORMAT, str) and mod.FORMAT
    suffixes = getattr(mod, "SUFFIXES", None)
    assert suffixes is None or all(s.startswith(".") and s == s.lower() for s in suffixes)
