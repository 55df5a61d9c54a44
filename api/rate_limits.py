"""Abuse limits (ASGI middleware): per client address on public routes, per API key on the others.

Counters live in process memory, or in Redis when ``BOOKFLOW_REDIS_URL`` is set so every API process
shares them. Every answer carries ``X-RateLimit-Limit/Remaining/Reset``; past the limit the answer is
429 with ``Retry-After``. The client address is the peer's, or — only when the peer is a trusted proxy —
the nearest untrusted address in ``X-Forwarded-For``.
"""

import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from limits import RateLimitItem, WindowStats, parse_many
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.access_config import AccessConfig
from api.access_rules import RULES, Rule
from api.errors import envelope
from api.route_match import matched_route

log = logging.getLogger("bookflow.api")

# An orchestrator's liveness and readiness probes (api/health.py): never counted, never refused, since
# several pods probed from one node share an address and a 429 would read as a dead or unready process.
PROBES = frozenset({"/health", "/ready"})

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(proxies: Sequence[str]) -> list[Network]:
    return [ipaddress.ip_network(p, strict=False) for p in proxies]


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(scope: Scope, proxies: Sequence[Network]) -> str:
    """The caller's address: X-Forwarded-For is believed only when the peer is a trusted proxy."""
    peer = (scope.get("client") or ("unknown", 0))[0]
    if not _trusted(peer, proxies):
        return peer
    forwarded = Headers(scope=scope).get("x-forwarded-for", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    # Walk back from the nearest hop: the first address no trusted proxy vouches for is the client.
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop
    return hops[0] if hops else peer


def route_rule(scope: Scope) -> Rule | None:
    """The rule (api/access_rules.py) of the route the request reaches; None when no route matches."""
    found = matched_route(scope)
    if found is None:
        return None
    method = "GET" if scope["method"] == "HEAD" else scope["method"]
    return RULES.get((method, found[0].path_format))


def _bearer(scope: Scope) -> str | None:
    scheme, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


@dataclass(frozen=True)
class Bucket:
    identity: str
    limits: list[RateLimitItem]  # "1000/day;100/hour": each must allow the request


class RateLimit:
    """Count each request against its bucket; refuse with 429 once the bucket is empty."""

    def __init__(self, app: ASGIApp, config: AccessConfig) -> None:
        self.app = app
        self.public = parse_many(config.rate_limit_public)
        self.keyed = parse_many(config.rate_limit_key)
        self.proxies = _networks(config.trusted_proxies)
        uri = f"async+{config.redis_url}" if config.redis_url else "async+memory://"
        self.limiter = FixedWindowRateLimiter(storage_from_string(uri))

    async def _count(self, limit: RateLimitItem, identity: str) -> tuple[bool, RateLimitItem, WindowStats]:
        allowed = await self.limiter.hit(limit, identity)
        return allowed, limit, await self.limiter.get_window_stats(limit, identity)

    def bucket(self, scope: Scope) -> Bucket:
        """Per key (a hash of it, never the key itself) on keyed routes, else per client address."""
        rule = route_rule(scope)
        if rule is Rule.CONSOLE:
            # A person browsing the console makes many requests: the keyed allowance, counted per address
            # (not per cookie, which a client could rotate to escape the count).
            return Bucket("console:" + client_address(scope, self.proxies), self.keyed)
        token = _bearer(scope)
        if token and rule not in (Rule.PUBLIC, None):
            return Bucket("key:" + hashlib.sha256(token.encode()).hexdigest()[:32], self.keyed)
        return Bucket("ip:" + client_address(scope, self.proxies), self.public)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PROBES:
            await self.app(scope, receive, send)
            return
        bucket = self.bucket(scope)
        try:
            windows = [await self._count(limit, bucket.identity) for limit in bucket.limits]
        except Exception as down:
            # Availability over limits: a counter store outage must not take the API down with it.
            log.warning("rate limiting skipped: the counter store failed (%s)", type(down).__name__)
            await self.app(scope, receive, send)
            return
        # The tightest window speaks for all: the fewest remaining, or the latest reset of a refusal.
        allowed = all(ok for ok, _, _ in windows)
        refusing = [w for w in windows if not w[0]] or windows
        _, limit, stats = max(refusing, key=lambda w: (-w[2].remaining, w[2].reset_time))
        headers = {
            "X-RateLimit-Limit": str(limit.amount),
            "X-RateLimit-Remaining": str(max(0, stats.remaining)),
            "X-RateLimit-Reset": str(math.ceil(stats.reset_time)),
        }
        if not allowed:
            retry = max(1, math.ceil(stats.reset_time - time.time()))
            message = f"too many requests: the limit is {limit}; retry in {retry} s"
            await envelope(429, message, headers=headers | {"Retry-After": str(retry)})(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)
