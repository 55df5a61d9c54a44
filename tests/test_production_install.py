"""A production install — `pip install .`, no extras — imports every shipped module and holds no test kit.

The install is real: a fresh virtualenv, pip building the wheel from a copy of this checkout in an isolated
build environment. It runs offline: pip finds the locked dependencies (and setuptools for the build) among
the wheels `make install` keeps in .venv/wheels, so the test needs only loopback network.
"""

import json
import shutil
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WHEELS = Path(sys.prefix) / "wheels"
# Build and cache output that a copy of the checkout leaves out; everything else goes in, tests/ and bench/
# included, so a packages.find that picked them up would be caught.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", ".bookflow", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache"
)
TEST_ONLY_DISTRIBUTIONS = ("trustme", "aiosmtpd", "pytest", "testkit")

# Runs inside the fresh virtualenv with arguments TEST_ONLY,NAMES PACKAGE...: import every module of each
# package, say which test-only distributions are importable at all, report it all as JSON.
PROBE = """
import importlib, importlib.metadata, importlib.util, json, pkgutil, sys
test_only, packages = sys.argv[1].split(","), sys.argv[2:]
report = {"modules": [], "failed": {}, "files": {}}
for name in packages:
    package = importlib.import_module(name)
    report["files"][name] = package.__file__
    def failed(module, name=name):
        report["failed"][module] = repr(sys.exc_info()[1])
    for info in pkgutil.walk_packages(package.__path__, name + ".", onerror=failed):
        if info.name.rsplit(".", 1)[-1] == "__main__":
            continue
        try:
            importlib.import_module(info.name)
            report["modules"].append(info.name)
        except Exception as error:
            report["failed"][info.name] = repr(error)
report["loaded"] = sorted(sys.modules)
report["installed"] = sorted(m for m in test_only if importlib.util.find_spec(m) is not None)
report["record"] = [str(f) for f in importlib.metadata.files("bookflow")]
print(json.dumps(report))
"""


def shipped_packages() -> list[str]:
    """The top-level packages pyproject's packages.find includes (those that exist in the checkout)."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    names = [p.removesuffix("*").rstrip(".") for p in patterns["include"]]
    return sorted(n for n in names if (ROOT / n / "__init__.py").is_file())


def test_production_install_imports_every_shipped_module_and_no_test_kit(tmp_path: Path):
    assert WHEELS.is_dir(), f"no wheelhouse at {WHEELS}: run `make install` (it keeps the locked wheels there)"
    source, env = tmp_path / "src", tmp_path / "venv"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    venv.create(env, with_pip=False)
    python = env / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    offline = ["--no-index", "--find-links", str(WHEELS)]
    # --no-compile: byte-compiling every dependency would triple the time; the probe compiles what it imports.
    subprocess.run([*pip, "install", "--quiet", "--no-compile", *offline, str(source)], check=True, cwd=tmp_path)
    packages = shipped_packages()
    assert {"domain", "crm", "worker", "api"} <= set(packages)

    # -I: isolated, so neither this checkout nor PYTHON* variables can stand in for the installed tree.
    probe = subprocess.run(
        [str(python), "-I", "-c", PROBE, ",".join(TEST_ONLY_DISTRIBUTIONS), *packages],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    report = json.loads(probe.stdout)

    assert report["failed"] == {}
    assert len(report["modules"]) > 100  # the walk really went through the packages
    assert all(Path(f).is_relative_to(env) for f in report["files"].values()), report["files"]
    assert [m for m in report["modules"] if "emulator" in m] == []
    assert [m for m in report["loaded"] if m.split(".")[0] in TEST_ONLY_DISTRIBUTIONS] == []
    assert report["installed"] == []  # not even present: the test kit's dependencies are not the product's
    top_levels = {Path(f).parts[0] for f in report["record"]}
    assert not top_levels & {"tests", "testkit", "bench"}, sorted(top_levels)
    assert [f for f in report["record"] if "emulator" in f] == []
    # Package data ships too: the public pages' templates, stylesheet and script (pyproject's package-data).
    assert {"api/pages/templates/layout.html", "api/pages/static/pages.css", "api/pages/static/pages.js"} <= set(
        report["record"]
    )
