"""Which URLs Bookflow may call out to (SSRF rules): webhook subscribers now, any outbound URL later.

http and https only, with a host and no credentials; link-local and cloud-metadata addresses
(169.254.0.0/16, fe80::/10, fd00:ec2::254), unspecified, multicast and reserved addresses always
refused; loopback and private ranges refused unless the policy allows private targets (self-hosted
mode). Every address a host name resolved to is checked, so a name pointing at 127.0.0.1 is refused
like the literal. The rules are pure: the caller resolves the name (activities/net.py) and hands the
answers in, so the same rules judge a URL at save time and again at every call.
"""

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_METADATA = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fd00:ec2::254/128"))
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: internal, though not "private"


class UrlRefused(ValueError):
    """A URL Bookflow will not call; the message says why."""


class UnresolvedHost(UrlRefused):
    """The host name did not resolve: refused at save time, retried at call time (DNS may recover)."""


@dataclass(frozen=True)
class OutboundPolicy:
    """What one kind of outbound call may reach."""

    allow_private: bool
    # How an operator allows private targets for this kind of call, named in the refusal.
    private_switch: str


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int

    @property
    def literal(self) -> IPAddress | None:
        """The host as an IP address when the URL names one, else None (a name to resolve)."""
        try:
            return ipaddress.ip_address(self.host)
        except ValueError:
            return None


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
        raise UrlRefused("credentials in the URL are not allowed")
    return Target(url, parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80))


def address_refusal(address: IPAddress, policy: OutboundPolicy) -> str | None:
    """Why ``address`` may not be called under ``policy``, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in net for net in _METADATA) or address.is_link_local:
        return f"{address} is a link-local or cloud metadata address"
    if address.is_unspecified or address.is_multicast or (address.is_reserved and not address.is_loopback):
        return f"{address} is an unspecified, multicast or reserved address"
    if policy.allow_private:
        return None
    if address.is_loopback:
        return f"{address} is a loopback address (allowed only with {policy.private_switch})"
    if address.is_private or address in _SHARED:
        return f"{address} is a private address (allowed only with {policy.private_switch})"
    return None


def allowed_addresses(target: Target, resolved: Sequence[str], policy: OutboundPolicy) -> list[IPAddress]:
    """The addresses to connect to, given what ``target``'s host resolved to; UrlRefused unless all are allowed.

    A literal host is its own address. UnresolvedHost when a name resolved to nothing.
    """
    literal = target.literal
    if literal is not None:
        addresses = [literal]
    else:
        # A scoped IPv6 answer ("fe80::1%eth0") is judged by its address.
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in resolved]
        if not addresses:
            raise UnresolvedHost(f"{target.host} does not resolve")
    for address in addresses:
        refusal = address_refusal(address, policy)
        if refusal:
            name = "" if literal is not None else f"{target.host} resolves to "
            raise UrlRefused(name + refusal)
    return addresses
