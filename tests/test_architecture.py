"""The law is pure: konsent.domain imports nothing outside the standard library."""

import ast
import sys
from pathlib import Path

import konsent.domain

DOMAIN = Path(konsent.domain.__file__).parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # a relative import stays inside the package
                continue
            names.add(node.module or "")
    return names


def test_the_domain_imports_only_the_standard_library_and_itself():
    offenders = {}
    files = sorted(DOMAIN.rglob("*.py"))
    assert len(files) > 5
    for path in files:
        foreign = {
            name for name in imported_modules(path)
            if name.split(".")[0] not in sys.stdlib_module_names
            and not name.startswith("konsent.domain")
        }
        if foreign:
            offenders[str(path.relative_to(DOMAIN))] = sorted(foreign)
    assert offenders == {}


def test_the_domain_never_reads_the_clock():
    clock_calls = ("datetime.now", "datetime.utcnow", "date.today", "time.time", "time.monotonic")
    for path in DOMAIN.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        used = [call for call in clock_calls if f"{call}(" in source]
        assert not used, f"{path.name} reads the clock: {used}"


def test_the_check_itself_catches_a_foreign_import(tmp_path):
    module = tmp_path / "leaky.py"
    module.write_text("import sqlalchemy\nfrom konsent.storage import x\nfrom . import y\n")
    assert imported_modules(module) == {"sqlalchemy", "konsent.storage"}
