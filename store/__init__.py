"""Persistence: SQLAlchemy 2 models, repositories and Alembic migrations (SQLite or PostgreSQL)."""

from store.db import Base, Database

__all__ = ["Base", "Database"]
