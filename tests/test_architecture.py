"""The dependency arrows of ARCHITECTURE.md hold: each package imports only what its row allows."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"domain", "routing", "crm", "templates", "store", "activities", "workflows", "api", "worker", "bench", "tests"}
ALLOWED = {
    "domain": {"domain"},
    "routing": {"domain", "routing"},
    "crm": {"domain", "crm"},
    "templates": {"domain", "templates"},
    "store": {"domain", "store"},
    "activities": {"domain", "routing", "crm", "templates", "store", "activities"},
    "workflows": {"domain", "routing", "activities", "workflows"},
    "api": {"domain", "store", "api"},
}


def imports_of(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_its_row_allows(package: str):
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, module in imports_of(path)
        if module.split(".")[0] in OURS and module.split(".")[0] not in ALLOWED[package]
    ]
    assert wrong == []
