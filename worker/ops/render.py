"""How `bookflow ops` prints what the library found (rich tables, one screen per workflow)."""

from datetime import UTC, datetime

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from worker.ops.explain import Explanation, Problem
from worker.ops.failures import FailedWorkflow


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def failed_table(rows: list[FailedWorkflow]) -> Table:
    table = Table(title=f"{len(rows)} failed or stuck workflow(s), newest first", title_justify="left")
    for column in ("workflow id", "booking uid", "kind", "state", "since (UTC)", "attempts", "last error"):
        table.add_column(column, overflow="fold")
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
    head.add_row("workflow", f"{out.workflow_id} ({out.workflow_type}) run {out.run_id}")
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
        for column in ("at (UTC)", "trigger", "event id"):
            log.add_column(column)
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
    for column in ("delivery id", "trigger", "status", "attempts", "last code", "last error"):
        table.add_column(column, overflow="fold")
    for d in out.deliveries:
        code = str(d.last_status_code) if d.last_status_code is not None else "-"
        table.add_row(d.id, d.trigger, d.status, str(d.attempts), code, d.last_error or "")
    return table


def _messages(out: Explanation) -> Table | Text:
    if out.messages is None:
        return Text("messages: the reminders store is not installed", style="dim")
    table = Table(title="reminder messages", title_justify="left")
    for column in ("step", "channel", "provider", "recipient", "status", "attempts", "detail"):
        table.add_column(column, overflow="fold")
    for m in out.messages:
        table.add_row(m.step_id, m.channel, m.provider, m.recipient, str(m.status), str(m.attempts), m.detail or "")
    return table


def console() -> Console:
    return Console(width=160)
