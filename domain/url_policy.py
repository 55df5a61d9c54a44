"""Which subscriber URLs Bookflow may call (SSRF rules), checked at create and again at every send.

http and https only; link-local and cloud-metadata addresses (169.254.0.0/16, fe80::/10,
fd00:ec2::254), unspecified, multicast and reserved addresses always refused; loopback and private
ranges refused unless private targets are allowed (self-hosted mode). A host name is resolved and
every address it resolves to is checked, so a name pointing at 127.0.0.1 is refused like the literal.
The resolver is a parameter: the rules stay pure and tests can pin answers.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

_METADATA = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fd00:ec2::254/128"))
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: internal, though not "private"


class UrlRefused(ValueError):
    """A subscriber URL Bookflow will not call; the message says why."""


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int


def parse_target(url: str) -> Target:
    """The scheme, host and port of ``url``, or UrlRefused for anything but an http(s) URL with a host."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as invalid:
        raise UrlRefused(f"not a valid URL ({invalid})") from None
    if parts.scheme not in ("http", "https"):
        raise UrlRefused(f"only http and https URLs are allowed, not {parts.scheme or 'a missing'!r} scheme")
    if not parts.hostname:
        raise UrlRefused("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("credentials in the URL are not allowed; use the webhook secret instead")
    return Target(url, parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80))


def address_refusal(address: IPAddress, allow_private: bool) -> str | None:
    """Why ``address`` may not be called, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in net for net in _METADATA) or address.is_link_local:
        return f"{address} is a link-local or cloud metadata address"
    if address.is_unspecified or address.is_multicast or (address.is_reserved and not address.is_loopback):
        return f"{address} is an unspecified, multicast or reserved address"
    if allow_private:
        return None
    if address.is_loopback:
        return f"{address} is a loopback address (allowed only with BOOKFLOW_WEBHOOKS_ALLOW_PRIVATE=true)"
    if address.is_private or address in _SHARED:
        return f"{address} is a private address (allowed only with BOOKFLOW_WEBHOOKS_ALLOW_PRIVATE=true)"
    return None


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, from the operating system's resolver."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def check_url(
    url: str, allow_private: bool, resolve: Resolver = system_resolver
) -> tuple[Target, list[IPAddress]]:
    """The target of ``url`` and the addresses to connect to, all of them allowed; else UrlRefused."""
    target = parse_target(url)
    literal = literal_address(target.host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = [ipaddress.ip_address(a.split("%")[0]) for a in await resolve(target.host, target.port)]
        except OSError as failed:
            raise UnresolvedHost(f"{target.host} does not resolve ({failed})") from None
        if not addresses:
            raise UnresolvedHost(f"{target.host} does not resolve")
    for address in addresses:
        refusal = address_refusal(address, allow_private)
        if refusal:
            name = "" if literal is not None else f"{target.host} resolves to "
            raise UrlRefused(name + refusal)
    return target, addresses


class UnresolvedHost(UrlRefused):
    """The host name did not resolve: refused at create, retried at send (DNS may recover)."""
