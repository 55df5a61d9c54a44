"""Salesforce: connection, account resolution, owner routing, booking sync and a REST emulator."""
