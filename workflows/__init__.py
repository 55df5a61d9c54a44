"""Temporal workflow definitions. Deterministic: every side effect goes through an activity."""
