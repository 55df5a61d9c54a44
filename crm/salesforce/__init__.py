"""Salesforce: connection, account resolution, owner routing and booking sync."""
