"""Abuse limits: per client address on public routes, per key on keyed ones; 429 with Retry-After."""

import random
import time
import uuid

from testkit.stack import event_type, seed
from tests.edge.support import edge_api

REDIS = "redis://127.0.0.1:6379/0"
# A public route that is counted (the probes /health and /ready are not): an unknown booking, 404.
COUNTED = "/v2/bookings/no-such-uid"


def _address() -> str:
    """A fresh client address per test, so fixed windows in a shared Redis never leak between runs."""
    return f"198.51.{random.randint(0, 255)}.{random.randint(1, 254)}"


async def test_public_routes_are_limited_per_address_with_the_headers(temporal_env, sqlite_db, task_queue):
    async with edge_api(temporal_env.client, sqlite_db, task_queue, rate_limit_public="5/minute") as http:
        answers = [await http.get(COUNTED) for _ in range(5)]
        assert [a.status_code for a in answers] == [404] * 5
        assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["4", "3", "2", "1", "0"]
        assert all(a.headers["X-RateLimit-Limit"] == "5" for a in answers)
        assert int(answers[0].headers["X-RateLimit-Reset"]) > time.time()
        refused = await http.get(COUNTED)
        assert refused.status_code == 429, refused.text
        assert refused.json()["error"]["code"] == "TOO_MANY_REQUESTS"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.headers["X-RateLimit-Remaining"] == "0"
        # A public route is counted per address even when the caller sends a key.
        keyed = await http.get(COUNTED, headers={"Authorization": "Bearer bf_live_whatever"})
        assert keyed.status_code == 429
    # Another address has its own budget.
    async with edge_api(
        temporal_env.client, sqlite_db, task_queue, client_address="203.0.113.77", rate_limit_public="5/minute"
    ) as other:
        assert (await other.get(COUNTED)).status_code == 404


async def test_keyed_routes_are_limited_per_key(temporal_env, sqlite_db, task_queue):
    limits = {"rate_limit_public": "2/minute", "rate_limit_key": "3/minute"}
    async with edge_api(temporal_env.client, sqlite_db, task_queue, **limits) as http:
        key_a = {"Authorization": "Bearer bf_live_" + uuid.uuid4().hex}
        key_b = {"Authorization": "Bearer bf_live_" + uuid.uuid4().hex}
        # The key's own budget (3), not the address's (2), even though the key is not a valid one.
        statuses = [(await http.get("/v2/bookings", headers=key_a)).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        assert (await http.get("/v2/bookings", headers=key_b)).status_code == 401
        assert (await http.get(COUNTED)).status_code == 404  # the address's budget is untouched


async def test_console_pages_get_the_keyed_allowance_per_address(temporal_env, sqlite_db, task_queue):
    limits = {"rate_limit_public": "2/minute", "rate_limit_key": "4/minute"}
    async with edge_api(temporal_env.client, sqlite_db, task_queue, client_address=_address(), **limits) as http:
        # Unauthenticated console pages redirect to the login page; each is counted against 4, not 2.
        statuses = [(await http.get("/console")).status_code for _ in range(5)]
        assert statuses == [303, 303, 303, 303, 429]
        # A fresh cookie each time does not escape the count: it is per address.
        http.cookies.set("bookflow_console", uuid.uuid4().hex)
        assert (await http.get("/console")).status_code == 429
        http.cookies.clear()
        assert (await http.get(COUNTED)).status_code == 404  # the public budget is the address's own


async def test_x_forwarded_for_is_believed_only_from_trusted_proxies(temporal_env, sqlite_db, task_queue):
    async with edge_api(
        temporal_env.client,
        sqlite_db,
        task_queue,
        client_address="10.0.0.5",
        rate_limit_public="2/minute",
        trusted_proxies=["10.0.0.0/24"],
    ) as behind_proxy:
        for client in ("192.0.2.1", "192.0.2.2"):
            hops = {"X-Forwarded-For": f"{client}, 10.0.0.9"}
            assert [(await behind_proxy.get(COUNTED, headers=hops)).status_code for _ in range(3)] == [404, 404, 429]
    async with edge_api(
        temporal_env.client, sqlite_db, task_queue, client_address="192.0.2.50", rate_limit_public="2/minute"
    ) as direct:
        # An untrusted peer cannot pick its identity by writing the header.
        spoofed = [
            (await direct.get(COUNTED, headers={"X-Forwarded-For": f"192.0.2.{n}"})).status_code for n in range(3)
        ]
        assert spoofed == [404, 404, 429]


async def test_two_api_processes_share_counters_in_redis(temporal_env, sqlite_db, task_queue):
    await seed(sqlite_db, event_type(1))
    address = _address()
    shared = {"rate_limit_public": "4/minute", "redis_url": REDIS, "client_address": address}
    async with (
        edge_api(temporal_env.client, sqlite_db, task_queue, **shared) as first,
        edge_api(temporal_env.client, sqlite_db, task_queue, **shared) as second,
    ):
        statuses = [(await api.get(COUNTED)).status_code for api in (first, second, first, second)]
        assert statuses == [404, 404, 404, 404]
        assert (await first.get(COUNTED)).status_code == 429
        assert (await second.get(COUNTED)).status_code == 429
    # Without Redis each process counts alone: the same address starts afresh in a new process.
    async with edge_api(
        temporal_env.client, sqlite_db, task_queue, client_address=address, rate_limit_public="4/minute"
    ) as alone:
        assert (await alone.get(COUNTED)).status_code == 404


async def test_several_windows_each_hold(temporal_env, sqlite_db, task_queue):
    async with edge_api(
        temporal_env.client, sqlite_db, task_queue, client_address=_address(), rate_limit_public="100/hour;3/minute"
    ) as http:
        answers = [await http.get(COUNTED) for _ in range(4)]
        assert [a.status_code for a in answers] == [404, 404, 404, 429]
        assert answers[0].headers["X-RateLimit-Limit"] == "3"
        assert answers[3].headers["X-RateLimit-Limit"] == "3" and int(answers[3].headers["Retry-After"]) <= 60


async def test_probes_are_never_counted_nor_refused(temporal_env, sqlite_db, task_queue):
    async with edge_api(
        temporal_env.client, sqlite_db, task_queue, client_address=_address(), rate_limit_public="3/minute"
    ) as http:
        probes = [await http.get("/health") for _ in range(100)]
        assert [p.status_code for p in probes] == [200] * 100
        assert all("X-RateLimit-Remaining" not in p.headers for p in probes)
        ready = [(await http.get("/ready")).status_code for _ in range(5)]
        assert 429 not in ready, ready
        # The address's own budget is untouched by them.
        assert [(await http.get(COUNTED)).status_code for _ in range(4)] == [404, 404, 404, 429]
