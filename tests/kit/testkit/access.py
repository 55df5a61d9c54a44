"""API keys for tests: a secret key for test databases, and keys for an owner, another user and an admin."""

from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from store import api_keys
from store.api_keys import Role
from store.db import Database
from store.secrets import SecretKeys

# Test databases seal secrets with this key; production refuses to start without its own.
TEST_SECRET_KEYS = SecretKeys(current="bookflow-test-secret-key-0123456789abcdef")

OWNER_ID, OTHER_ID, ADMIN_ID = 1, 2, 1000  # the owner is the kit's ORGANIZER (ada)


@dataclass(frozen=True)
class Keys:
    """Plaintext keys: ``owner`` acts as user 1, ``other`` as user 2, ``admin`` as an admin."""

    owner: str
    other: str
    admin: str


async def issue_keys(db: Database) -> Keys:
    """Issue the three keys in ``db`` (whose users need not exist: a key names its user by id)."""
    now = datetime.now(UTC)
    issued = {}
    async with db.transaction() as session:
        for label, user_id, username, role in (
            ("owner", OWNER_ID, "ada", Role.USER),
            ("other", OTHER_ID, "bob", Role.USER),
            ("admin", ADMIN_ID, "admin", Role.ADMIN),
        ):
            _, plaintext = await api_keys.create(session, user_id, username, f"test-{label}", role, now)
            issued[label] = plaintext.get_secret_value()
    return Keys(**issued)


def bearer(key: str | None) -> dict[str, str]:
    """The Authorization header for ``key`` (none when anonymous)."""
    return {"Authorization": f"Bearer {key}"} if key else {}


def client_as(transport: httpx.AsyncBaseTransport, key: str | None) -> httpx.AsyncClient:
    """A client to the in-process app behind ``transport`` that sends ``key`` (or none); close it after use."""
    return httpx.AsyncClient(transport=transport, base_url="http://bookflow.test", headers=bearer(key))
