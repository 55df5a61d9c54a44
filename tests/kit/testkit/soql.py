"""The SOQL subset the adapter issues, evaluated over in-memory records (for the Salesforce emulator).

Supported: SELECT of fields, dotted parent paths (Owner.Email, X__r.Email) and COUNT(Id) [alias] / COUNT();
WHERE with AND / OR / NOT / parentheses, = != < > <= >= LIKE, IN / NOT IN over lists and semi-joins
(``Id IN (SELECT AccountId FROM Contact WHERE ...)``); GROUP BY; ORDER BY; LIMIT. Strings use SOQL's
backslash escapes, so a quote in a value stays data. Unknown fields raise ``SoqlError`` (INVALID_FIELD).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:\\.|[^'\\])*')|(?P<num>-?\d+(?:\.\d+)?(?![\w-]))|(?P<op><=|>=|!=|<>|[=<>(),])"
    r"|(?P<word>[A-Za-z_][\w.]*|\d{4}-\d{2}-\d{2}[\w:.+-]*))"
)
_ESC = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}


class SoqlError(Exception):
    """A query Salesforce would refuse; ``code`` is its errorCode."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Select:
    obj: str
    fields: list[tuple[str, str | None]]  # (expression, alias); expression "COUNT(Id)" or a path
    where: Any = None
    group_by: list[str] = field(default_factory=list)
    order_by: list[tuple[str, bool]] = field(default_factory=list)  # (path, descending)
    limit: int | None = None


def _unescape(s: str) -> str:
    body = s[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESC.get(m.group(1), m.group(1)), body)


def tokenize(q: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos = 0
    q = q.strip()
    while pos < len(q):
        m = _TOKEN.match(q, pos)
        if not m or m.end() == pos:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token at: {q[pos : pos + 20]!r}")
        pos = m.end()
        kind = m.lastgroup
        text = m.group(kind)
        if kind == "str":
            out.append(("str", _unescape(text)))
        elif kind == "num":
            out.append(("num", float(text) if "." in text else int(text)))
        else:
            out.append((kind, text))
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any]]) -> None:
        self.t = tokens
        self.i = 0

    def peek(self, word: str | None = None) -> bool:
        if self.i >= len(self.t):
            return False
        if word is None:
            return True
        kind, val = self.t[self.i]
        return kind != "str" and str(val).upper() == word.upper()  # a quoted value is never a keyword

    def take(self, word: str | None = None) -> Any:
        if self.i >= len(self.t):
            raise SoqlError("MALFORMED_QUERY", f"unexpected end of query, expected {word or 'more'}")
        kind, val = self.t[self.i]
        if word is not None and (kind == "str" or str(val).upper() != word.upper()):
            raise SoqlError("MALFORMED_QUERY", f"expected {word}, got {val!r}")
        self.i += 1
        return val

    def select(self) -> Select:
        self.take("SELECT")
        fields: list[tuple[str, str | None]] = []
        while True:
            expr = self.take()
            if str(expr).upper() == "COUNT":
                self.take("(")
                arg = "" if self.peek(")") else self.take()
                self.take(")")
                expr = f"COUNT({arg})"
            alias = None
            if self.peek() and not self.peek(",") and not self.peek("FROM"):
                alias = self.take()
            fields.append((expr, alias))
            if not self.peek(","):
                break
            self.take(",")
        self.take("FROM")
        sel = Select(obj=self.take(), fields=fields)
        if self.peek("WHERE"):
            self.take("WHERE")
            sel.where = self.expr()
        if self.peek("GROUP"):
            self.take("GROUP")
            self.take("BY")
            sel.group_by = self.names()
        if self.peek("ORDER"):
            self.take("ORDER")
            self.take("BY")
            while True:
                name = self.take()
                if str(name).upper() == "COUNT":
                    self.take("(")
                    arg = self.take()
                    self.take(")")
                    name = f"COUNT({arg})"
                desc = False
                if self.peek("ASC") or self.peek("DESC"):
                    desc = str(self.take()).upper() == "DESC"
                sel.order_by.append((name, desc))
                if not self.peek(","):
                    break
                self.take(",")
        if self.peek("LIMIT"):
            self.take("LIMIT")
            sel.limit = int(self.take())
        if self.peek():
            raise SoqlError("MALFORMED_QUERY", f"unexpected {self.t[self.i][1]!r}")
        return sel

    def names(self) -> list[str]:
        out = [self.take()]
        while self.peek(","):
            self.take(",")
            out.append(self.take())
        return out

    def expr(self) -> Any:
        left = self.term()
        while self.peek("OR"):
            self.take("OR")
            left = ("or", left, self.term())
        return left

    def term(self) -> Any:
        left = self.factor()
        while self.peek("AND"):
            self.take("AND")
            left = ("and", left, self.factor())
        return left

    def factor(self) -> Any:
        if self.peek("NOT"):
            self.take("NOT")
            return ("not", self.factor())
        if self.peek("("):
            self.take("(")
            e = self.expr()
            self.take(")")
            return e
        name = self.take()
        if self.peek("NOT"):
            self.take("NOT")
            self.take("IN")
            return ("not", ("in", name, self.in_list()))
        op = str(self.take()).upper()
        if op == "IN":
            return ("in", name, self.in_list())
        if op not in ("=", "!=", "<>", "<", ">", "<=", ">=", "LIKE"):
            raise SoqlError("MALFORMED_QUERY", f"unknown operator {op!r}")
        return ("cmp", op, name, self.value())

    def in_list(self) -> Any:
        self.take("(")
        if self.peek("SELECT"):
            depth, start = 0, self.i
            while not (self.peek(")") and depth == 0):
                depth += 1 if self.peek("(") else -1 if self.peek(")") else 0
                self.i += 1
            sub = _Parser(self.t[start : self.i]).select()
            self.take(")")
            return sub
        vals = [self.value()]
        while self.peek(","):
            self.take(",")
            vals.append(self.value())
        self.take(")")
        return vals

    def value(self) -> Any:
        kind, val = self.t[self.i]
        self.i += 1
        if kind in ("str", "num"):
            return val
        low = str(val).lower()
        return {"null": None, "true": True, "false": False}.get(low, val)


def parse(q: str) -> Select:
    """Parse one SOQL query of the supported subset."""
    return _Parser(tokenize(q)).select()


def like(pattern: str, value: str) -> bool:
    """SOQL LIKE: case-insensitive, % and _ wildcards, backslash escapes them."""
    rx = ""
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            rx += re.escape(pattern[i + 1])
            i += 2
            continue
        rx += ".*" if c == "%" else "." if c == "_" else re.escape(c)
        i += 1
    return re.fullmatch(rx, value, flags=re.IGNORECASE | re.DOTALL) is not None


Resolver = Callable[[str, dict[str, Any], str], Any]  # (object, record, path) → value
Source = Callable[[str], list[dict[str, Any]]]  # object → its records


def _cmp(op: str, a: Any, b: Any) -> bool:
    if op == "LIKE":
        return a is not None and like(str(b), str(a))
    if isinstance(a, str) and isinstance(b, str):
        a, b = a.lower(), b.lower()  # SOQL comparisons of text are case-insensitive
    if op == "=":
        return a == b
    if op in ("!=", "<>"):
        return a != b
    if a is None or b is None:
        return False
    return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]


def matches(cond: Any, obj: str, rec: dict[str, Any], get: Resolver, run: Callable[[Select], list[Any]]) -> bool:
    """Evaluate a parsed WHERE condition for one record."""
    if cond is None:
        return True
    kind = cond[0]
    if kind == "and":
        return matches(cond[1], obj, rec, get, run) and matches(cond[2], obj, rec, get, run)
    if kind == "or":
        return matches(cond[1], obj, rec, get, run) or matches(cond[2], obj, rec, get, run)
    if kind == "not":
        return not matches(cond[1], obj, rec, get, run)
    if kind == "in":
        value = get(obj, rec, cond[1])
        options = run(cond[2]) if isinstance(cond[2], Select) else cond[2]
        folded = {o.lower() if isinstance(o, str) else o for o in options}
        return (value.lower() if isinstance(value, str) else value) in folded
    _, op, path, rhs = cond
    return _cmp(op, get(obj, rec, path), rhs)
