"""Email domains and Account websites: normalization and the registrable base name, as pure functions."""

import ipaddress
import re
from functools import lru_cache

import tldextract

_PROTOCOL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)+")
_PORT = re.compile(r":\d+$")


@lru_cache(maxsize=1)
def _extractor() -> tldextract.TLDExtract:
    # The bundled Public Suffix List snapshot only: no fetch, ever (suffix_list_urls=()).
    return tldextract.TLDExtract(suffix_list_urls=(), include_psl_private_domains=False)


def email_domain(email: str) -> str:
    """The lower-cased part after the last ``@`` (``''`` when there is none)."""
    _, at, domain = email.strip().rpartition("@")
    return domain.lower().rstrip(".") if at else ""


def normalize_website(website: str | None) -> str:
    """``' HTTPS://www.Acme.com:443/about?x#y '`` → ``'acme.com'``: protocol, www., path, query, port gone."""
    if not website:
        return ""
    host = _PROTOCOL.sub("", website.strip().lower())
    host = re.split(r"[/?#]", host, maxsplit=1)[0]
    host = _PORT.sub("", host).rstrip(".")
    return host.removeprefix("www.")


def base_name(domain: str) -> str | None:
    """The registrable name without its public suffix: ``acme`` for acme.co.uk; None for IPs and bare labels."""
    host = normalize_website(domain)
    if not host or "." not in host:
        return None
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    parts = _extractor()(host)
    return parts.domain or None if parts.suffix else None
