"""Resolving outbound URLs: the operating system's resolver, with the outbound URL policy applied to its answers."""

import asyncio
import socket
from collections.abc import Awaitable, Callable

from domain.url_policy import IPAddress, OutboundPolicy, Target, UnresolvedHost, allowed_addresses, parse_target

# (host, port) -> every address the host resolves to; a parameter so tests can pin the answers.
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, from the operating system's resolver."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def checked_target(
    url: str, policy: OutboundPolicy, resolve: Resolver = system_resolver
) -> tuple[Target, list[IPAddress]]:
    """The target of ``url`` and the addresses to connect to, all allowed by ``policy``; else UrlRefused.

    The name is resolved now, so the caller connects to the address that was checked (no DNS rebinding).
    """
    target = parse_target(url)
    if target.literal is not None:
        return target, allowed_addresses(target, [], policy)
    try:
        resolved = await resolve(target.host, target.port)
    except OSError as failed:
        raise UnresolvedHost(f"{target.host} does not resolve ({failed})") from None
    return target, allowed_addresses(target, resolved, policy)
