"""`make install` brings Debian's chromium when it is missing, and the browser tests use that executable."""

import subprocess
from pathlib import Path

from testkit.browser import CHROMIUM

ROOT = Path(__file__).resolve().parents[2]


def test_make_install_installs_debians_chromium_when_it_is_missing(tmp_path):
    missing = tmp_path / "chromium"
    planned = subprocess.run(
        ["make", "-n", "install", f"CHROMIUM={missing}"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "apt-get install -y chromium" in planned.stdout
    present = subprocess.run(["make", "-n", f"CHROMIUM={CHROMIUM}", str(CHROMIUM)], cwd=ROOT, capture_output=True,
                             text=True, check=True)  # fmt: skip
    assert "apt-get" not in present.stdout  # already there: left alone
    assert Path("/usr/bin/chromium") == CHROMIUM and CHROMIUM.exists()
