"""The booker's location: read from edge headers, and compared with Salesforce country and state values.

Headers carry ISO codes (``CF-IPCountry: US``, ``x-vercel-ip-country-region: CA``); Salesforce holds
names or codes (``United States``, ``USA``, ``California``, ``CA``). Both sides are folded to ISO 3166
codes with pycountry's bundled tables, so "US" matches "United States of America".
"""

from collections.abc import Mapping
from functools import lru_cache

import pycountry
from pydantic import Field

from domain.base import CamelModel

# Names in common CRM use that ISO's tables spell differently.
_COUNTRY_ALIASES = {
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "united states of america": "US",
    "america": "US",
    "uk": "GB",
    "u.k.": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "great britain": "GB",
    "russia": "RU",
    "south korea": "KR",
    "korea": "KR",
    "vietnam": "VN",
    "czech republic": "CZ",
    "holland": "NL",
    "uae": "AE",
    "turkey": "TR",
}
_UNKNOWN = {"", "xx", "t1", "zz", "unknown"}  # Cloudflare: XX unknown, T1 Tor


class GeoHeaders(CamelModel):
    """Which request headers hold the booker's country and region (first present one wins)."""

    country: list[str] = Field(default=["cf-ipcountry", "x-vercel-ip-country"])
    region: list[str] = Field(default=["cf-region-code", "x-vercel-ip-country-region"])


class Geo(CamelModel):
    """The booker's ISO 3166-1 alpha-2 country and (optional) region code, e.g. US + CA."""

    country: str | None = None
    region: str | None = None


def geo_from_headers(headers: Mapping[str, str], names: GeoHeaders | None = None) -> Geo:
    """The booker's geo from request headers; unknown values (XX, T1, empty) become None."""
    names = names or GeoHeaders()
    lower = {k.lower(): v for k, v in headers.items()}

    def first(keys: list[str]) -> str | None:
        for k in keys:
            v = (lower.get(k.lower()) or "").strip()
            if v.lower() not in _UNKNOWN:
                return v
        return None

    country = country_code(first(names.country))
    region = first(names.region) if country else None
    return Geo(country=country, region=region_code(country, region) or (region.upper() if region else None))


@lru_cache(maxsize=4096)
def country_code(value: str | None) -> str | None:
    """ISO alpha-2 for a country name, alpha-2 or alpha-3 code (case-insensitive), else None."""
    v = (value or "").strip()
    if v.lower() in _UNKNOWN:
        return None
    if v.lower() in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[v.lower()]
    try:
        return pycountry.countries.lookup(v).alpha_2
    except LookupError:
        return None


@lru_cache(maxsize=8192)
def region_code(country: str | None, value: str | None) -> str | None:
    """The subdivision part of ISO 3166-2 (``CA`` for California, US) for a code or name, else None."""
    v = (value or "").strip()
    if not country or not v:
        return None
    code = v.upper().removeprefix(f"{country}-")
    if pycountry.subdivisions.get(code=f"{country}-{code}") is not None:
        return code
    for sub in pycountry.subdivisions.get(country_code=country) or ():
        if sub.name.casefold() == v.casefold():
            return sub.code.split("-", 1)[1]
    return None


def same_country(account_value: str | None, booker_country: str) -> bool:
    """Does an Account's BillingCountry denote the booker's ISO country?"""
    return country_code(account_value) == booker_country


def same_region(account_value: str | None, country: str, booker_region: str) -> bool:
    """Does an Account's BillingState denote the booker's region (compared within the booker's country)?"""
    if not account_value:
        return False
    code = region_code(country, account_value)
    return (code or account_value.strip().upper()) == booker_region.upper()
