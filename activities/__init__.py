"""Temporal activities: the only code that does I/O on a workflow's behalf."""
