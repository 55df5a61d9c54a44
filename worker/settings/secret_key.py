"""The dev stack's secret key: generated once into ``<data dir>/secret-key`` (mode 0600) and reused."""

import os
import secrets
from pathlib import Path

from pydantic import SecretStr

FILE_NAME = "secret-key"
GENERATE_HINT = "export BOOKFLOW_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(48))')"


def key_file(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def read_secret_key(data_dir: Path) -> SecretStr | None:
    """The key stored in the data dir, or None when there is none."""
    path = key_file(data_dir)
    if not path.is_file():
        return None
    key = path.read_text().strip()
    return SecretStr(key) if key else None


def generate_secret_key(data_dir: Path) -> SecretStr:
    """Write a new random key into the data dir, readable by its owner only, and return it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: never overwrite a key another process just wrote; the file is private from its first byte.
    fd = os.open(key_file(data_dir), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key + "\n")
    return SecretStr(key)
