"""How `bookflow ops` prints what the library found (rich tables, one screen per workflow)."""

from datetime import UTC, datetime

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from api.operations import FailedRow
from worker.ops.explain import Explanation, Problem


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


# A free-text column (an error, a URL) folds at this width so a table's natural width stays bounded.
TEXT_WIDTH = 60


def id_column(table: Table, header: str, values: list[str]) -> None:
    """A column that never wraps or shortens its ids (a copied id must be whole); others give way."""
    table.add_column(header, no_wrap=True, min_width=max([len(header), *(len(v) for v in values)]))


def text_column(table: Table, header: str) -> None:
    """A free-text column: folded at TEXT_WIDTH characters, the first to give way."""
    table.add_column(header, overflow="fold", ratio=1, max_width=TEXT_WIDTH)


def failed_table(rows: list[FailedRow]) -> Table:
    table = Table(title=f"{len(rows)} failed or stuck workflow(s), newest first", title_justify="left")
    id_column(table, "workflow id", [r.workflow_id for r in rows])
    id_column(table, "booking uid", [r.booking_uid or "-" for r in rows])
    for column in ("kind", "state", "since (UTC)", "attempts"):
        table.add_column(column, no_wrap=True)
    text_column(table, "last error")
    for row in rows:
        error = f"[{row.activity}] {row.error}" if row.activity else row.error
        table.add_row(
            row.workflow_id, row.booking_uid or "-", row.kind, row.state, _when(row.since), str(row.attempts), error
        )
    return table


def _problem(problem: Problem) -> Panel:
    lines = [Text(problem.message, style="bold red")]
    if problem.attempt:
        upcoming = f", next attempt {_when(problem.next_attempt)}" if problem.next_attempt else ""
        lines.append(Text(f"attempt {problem.attempt}{upcoming}"))
    if len(problem.chain) > 1:
        lines.append(Text("cause chain: " + " ← ".join(problem.chain)))
    if problem.stack:
        lines.append(Text(problem.stack.rstrip(), style="dim"))
    return Panel(Group(*lines), title=f"failing: {problem.where}", title_align="left", border_style="red")


def explanation(out: Explanation) -> Group:
    """The whole `ops show` screen."""
    parts: list = []
    head = Table.grid(padding=(0, 2))
    head.add_column(no_wrap=True)
    head.add_column(overflow="fold")
    head.add_row("workflow", f"{out.workflow_id} ({out.workflow_type})")
    head.add_row("run", out.run_id)
    head.add_row(
        "status",
        f"{out.status}, started {_when(out.started)}" + (f", closed {_when(out.closed)}" if out.closed else ""),
    )
    if out.booking is not None:
        b = out.booking
        head.add_row("booking", f"{b.uid}: {b.status.value} — {b.title}")
        head.add_row("when", f"{_when(b.start)} → {_when(b.end)} (UTC), event type {b.event_type.id}")
        head.add_row("attendee", ", ".join(str(a.email) for a in b.attendees))
        head.add_row("state from", out.state_source)
    parts.append(head)
    parts.extend(Text(note, style="yellow") for note in out.notes)
    parts.extend(_problem(p) for p in out.problems)
    if out.booking is not None:
        agenda = Table(title="agenda (still due)", title_justify="left")
        agenda.add_column("due (UTC)")
        agenda.add_column("action")
        agenda.add_column("key")
        for item in out.agenda:
            agenda.add_row(_when(item.due), item.action.value, item.key)
        if not out.agenda:
            agenda.add_row("-", "nothing due" if out.status == "RUNNING" else "workflow closed", "")
        parts.append(agenda)
    if out.booking_uid is not None:
        log = Table(title="event log", title_justify="left")
        for column in ("at (UTC)", "trigger"):
            log.add_column(column, no_wrap=True)
        id_column(log, "event id", [e.event_id for e in out.events])
        for event in out.events:
            log.add_row(_when(event.created_at), event.trigger, event.event_id)
        parts.append(log)
        parts.append(_deliveries(out))
        parts.append(_messages(out))
    return Group(*parts)


def _deliveries(out: Explanation) -> Table | Text:
    if out.deliveries is None:
        return Text("deliveries: the webhooks store is not installed", style="dim")
    table = Table(title="webhook deliveries", title_justify="left")
    id_column(table, "delivery id", [d.id for d in out.deliveries])
    for column in ("trigger", "status", "attempts", "last code"):
        table.add_column(column, no_wrap=True)
    text_column(table, "last error")
    for d in out.deliveries:
        code = str(d.last_status_code) if d.last_status_code is not None else "-"
        table.add_row(d.id, d.trigger, d.status, str(d.attempts), code, d.last_error or "")
    return table


def _messages(out: Explanation) -> Table | Text:
    if out.messages is None:
        return Text("messages: the reminders store is not installed", style="dim")
    table = Table(title="reminder messages", title_justify="left")
    for column in ("step", "channel", "provider", "recipient", "status", "attempts", "detail"):
        text_column(table, column)
    for m in out.messages:
        table.add_row(m.step_id, m.channel, m.provider, m.recipient, str(m.status), str(m.attempts), m.detail or "")
    return table


WIDTH = 160


def console() -> Console:
    return Console(width=WIDTH)


def wide_enough(table: Table, width: int = WIDTH) -> Console:
    """A console of ``width`` columns, or as wide as ``table`` is naturally (its ids whole, its text
    columns at most TEXT_WIDTH): a cropped line would cut an id as surely as a wrapped one."""
    return Console(width=max(width, Console(width=10_000).measure(table).maximum))


def show(table: Table, width: int = WIDTH) -> None:
    """Print ``table`` to stdout, ids whole (see wide_enough)."""
    wide_enough(table, width).print(table)
