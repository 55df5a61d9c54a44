"""The HTTP API: a Cal.com API v2-compatible surface over the Temporal workflows and the store."""
