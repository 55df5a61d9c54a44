"""The dependency arrows of ARCHITECTURE.md hold: each package imports only what its row allows.

And domain/ stays types and pure rules: no network, database or environment.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {
    "domain",
    "availability",
    "calendars",
    "routing",
    "crm",
    "templates",
    "store",
    "activities",
    "workflows",
    "api",
    "worker",
    "bench",
    "tests",
    "testkit",  # tests/kit: the emulators and stack helpers, never imported by a shipped package
}
ALLOWED = {
    "domain": {"domain"},
    "availability": {"domain", "availability"},
    "calendars": {"domain", "calendars"},
    "routing": {"domain", "routing"},
    "crm": {"domain", "crm"},
    "templates": {"domain", "templates"},
    "store": {"domain", "store"},
    "activities": {"domain", "routing", "availability", "calendars", "crm", "templates", "store", "activities"},
    "workflows": {"domain", "routing", "activities", "workflows"},
    "api": {"domain", "availability", "store", "api"},
}
# What would make domain/ more than types and rules: sockets, HTTP, databases, settings from the environment.
IMPURE_MODULES = {"socket", "ssl", "httpx", "requests", "urllib.request", "sqlalchemy", "redis", "pydantic_settings"}
ENVIRONMENT = {"environ", "environb", "getenv", "putenv"}


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


def impurities_of(path: Path) -> list[str]:
    """Imports of I/O libraries and reads of the environment (``os.environ``, ``os.getenv``) in one file."""
    found = [
        f"{line} imports {module}"
        for line, module in imports_of(path)
        if any(module == bad or module.startswith(bad + ".") for bad in IMPURE_MODULES)
    ]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and node.attr in ENVIRONMENT:
            found.append(f"{node.lineno} reads os.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            found += [f"{node.lineno} imports os.{a.name}" for a in node.names if a.name in ENVIRONMENT]
    return found


def test_domain_is_types_and_pure_rules():
    wrong = [
        f"{path.relative_to(ROOT)}:{problem}"
        for path in sorted((ROOT / "domain").rglob("*.py"))
        for problem in impurities_of(path)
    ]
    assert wrong == []


def test_the_purity_check_sees_sockets_and_the_environment(tmp_path: Path):
    impure = tmp_path / "impure.py"
    impure.write_text(
        "import os\nimport socket\nfrom sqlalchemy import select\nfrom os import getenv\nos.environ['X']\n"
    )
    assert sorted(impurities_of(impure)) == [
        "2 imports socket",
        "3 imports sqlalchemy",
        "4 imports os.getenv",
        "5 reads os.environ",
    ]
