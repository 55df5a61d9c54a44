"""A throw-away PostgreSQL schema per test, so suites running in parallel never see each other's rows."""

import os
import uuid
from collections.abc import Awaitable, Callable

import psycopg

BASE_URL = os.environ.get("BOOKFLOW_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


async def postgres_schema_url() -> tuple[str, Callable[[], Awaitable[None]]]:
    """A URL whose search_path is a new schema, and a coroutine that drops it.

    PostgreSQL runs on this project's machines and in CI; if it does not answer, the test fails
    loudly rather than passing on SQLite alone.
    """
    schema = f"t_{uuid.uuid4().hex[:12]}"
    async with await psycopg.AsyncConnection.connect(BASE_URL, autocommit=True) as conn:
        await conn.execute(f'CREATE SCHEMA "{schema}"')

    async def drop() -> None:
        async with await psycopg.AsyncConnection.connect(BASE_URL, autocommit=True) as conn:
            await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

    return f"{BASE_URL}?options=-csearch_path%3D{schema}", drop
