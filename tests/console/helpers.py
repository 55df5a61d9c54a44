"""Signing in to the console over HTTP (the in-process app), and reading a page's CSRF token."""

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html.parser import HTMLParser
from urllib.parse import urlencode

import httpx

from testkit.stack import Stack

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LOGIN_TOKEN = re.compile(r'name="login_token" value="([^"]+)"')


def console_client(transport: httpx.AsyncBaseTransport, https: bool = False) -> httpx.AsyncClient:
    """A browser-like client: keeps cookies, sends no API key, does not follow redirects."""
    return httpx.AsyncClient(transport=transport, base_url=("https" if https else "http") + "://bookflow.test")


async def login(http: httpx.AsyncClient, **fields: str) -> httpx.Response:
    """GET the login page (its token cookie), then POST ``fields`` (api_key=… or username=…, password=…)."""
    page = await http.get("/console/login")
    token = LOGIN_TOKEN.search(page.text)
    assert token, page.text
    return await http.post("/console/login", data={"login_token": token.group(1), **fields})


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


@asynccontextmanager
async def signed_in(
    stack: Stack, key: str, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in to the console with ``key``."""
    async with console_client(transport or stack.transport) as http:
        response = await login(http, api_key=key)
        assert response.status_code == 303, response.text
        yield http


async def csrf(http: httpx.AsyncClient, path: str = "/console") -> str:
    """The CSRF token shown on ``path`` to this client's session."""
    page = await http.get(path)
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


class _FormFields(HTMLParser):
    """What a browser would post from the page's form ``form_id``: inputs, checked boxes, selected options."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, False, []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            else:
                self.fields.append((name, a.get("value", "")))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea = name
            self.fields.append((name, ""))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            name, text = self.fields[-1]
            self.fields[-1] = (name, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_fields(html: str, form_id: str = "editor") -> list[tuple[str, str]]:
    """The (name, value) pairs a browser would submit from the page's form ``form_id`` (unescaped)."""
    parser = _FormFields(form_id)
    parser.feed(html)
    return parser.fields


def replaced(fields: list[tuple[str, str]], changes: dict[str, str | list[str] | None]) -> list[tuple[str, str]]:
    """``fields`` with some names set to new values (a list: several values; None: left out)."""
    kept = [(k, v) for k, v in fields if k not in changes]
    for name, value in changes.items():
        if value is None:
            continue
        kept += [(name, v) for v in (value if isinstance(value, list) else [value])]
    return kept


async def post_fields(http: httpx.AsyncClient, path: str, fields: list[tuple[str, str]]) -> httpx.Response:
    """POST ``fields`` as a browser posts a form (urlencoded, repeated names kept in order)."""
    body = urlencode(fields)
    return await http.post(path, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
