"""Secrets at rest: every key Bookflow derives from BOOKFLOW_SECRET_KEY, and sealing stored secrets.

One operator secret yields, through HKDF with a distinct label per use, the Fernet key that encrypts
stored secrets (webhook signing secrets, provider tokens) and the pepper of API-key hashes. Rotation:
the new key is listed first and old ones after it (BOOKFLOW_SECRET_KEYS_OLD); values sealed or keys
hashed under an old key still open, and ``reseal`` moves a stored value to the new key.

The keyring travels on the database's sessions (``session.info``), so store modules seal and unseal
without every caller passing it along.
"""

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import BaseModel, Field, SecretStr, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

SEALED_PREFIX = "sealed:v1:"
SESSION_KEY = "bookflow_keyring"
MIN_SECRET_LENGTH = 32


class SecretsUnavailable(RuntimeError):
    """A stored secret must be sealed or opened, and no BOOKFLOW_SECRET_KEY was given."""


class SecretKeys(BaseModel):
    """The operator's secret key and the keys it replaced (newest first), as plain configuration."""

    current: SecretStr
    old: list[SecretStr] = Field(default_factory=list)

    @field_validator("current")
    @classmethod
    def _long_enough(cls, key: SecretStr) -> SecretStr:
        if len(key.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"BOOKFLOW_SECRET_KEY must be at least {MIN_SECRET_LENGTH} random characters "
                "(python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        return key


def _derive(secret: SecretStr, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret.get_secret_value().encode())


class Keyring:
    """Fernet encryption and HMAC peppers derived from a ``SecretKeys``; the first key is the current one."""

    def __init__(self, keys: SecretKeys) -> None:
        every = [keys.current, *keys.old]
        fernets = [Fernet(base64.urlsafe_b64encode(_derive(k, b"bookflow/stored-secrets"))) for k in every]
        self._current = fernets[0]
        self._fernet = MultiFernet(fernets)
        self._peppers = [_derive(k, b"bookflow/api-key-pepper") for k in every]

    def seal(self, plaintext: str) -> str:
        """``plaintext`` encrypted under the current key, marked so it is never mistaken for plaintext."""
        return SEALED_PREFIX + self._fernet.encrypt(plaintext.encode()).decode()

    def unseal(self, stored: str) -> str:
        """The plaintext of a stored value; a value from before encryption (no mark) is returned as it is."""
        if not stored.startswith(SEALED_PREFIX):
            return stored
        try:
            return self._fernet.decrypt(stored.removeprefix(SEALED_PREFIX).encode()).decode()
        except InvalidToken:
            raise SecretsUnavailable(
                "a stored secret does not open with BOOKFLOW_SECRET_KEY or BOOKFLOW_SECRET_KEYS_OLD; "
                "list the key it was sealed with in BOOKFLOW_SECRET_KEYS_OLD"
            ) from None

    def reseal(self, stored: str) -> str | None:
        """``stored`` sealed under the current key, or None when it already is."""
        if stored.startswith(SEALED_PREFIX):
            token = stored.removeprefix(SEALED_PREFIX).encode()
            try:
                self._current.decrypt(token)
                return None
            except InvalidToken:
                return SEALED_PREFIX + self._fernet.rotate(token).decode()
        return self.seal(stored)

    def digests(self, value: str) -> list[str]:
        """HMAC-SHA256 of ``value`` under each pepper, the current one first (old ones find rotated keys)."""
        return [hmac.new(p, value.encode(), hashlib.sha256).hexdigest() for p in self._peppers]


def keyring_of(session: AsyncSession) -> Keyring:
    """The keyring of the database ``session`` belongs to, or SecretsUnavailable saying what to set."""
    keyring = session.info.get(SESSION_KEY)
    if keyring is None:
        raise SecretsUnavailable("BOOKFLOW_SECRET_KEY is not set: stored secrets cannot be sealed or opened")
    return keyring


def seal(session: AsyncSession, plaintext: str | None) -> str | None:
    """``plaintext`` sealed with the session's keyring (None stays None)."""
    return None if plaintext is None else keyring_of(session).seal(plaintext)


def unseal(session: AsyncSession, stored: str | None) -> str | None:
    """The plaintext of a sealed column value (None stays None)."""
    return None if stored is None else keyring_of(session).unseal(stored)
