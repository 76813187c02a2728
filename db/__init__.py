"""Storage: SQLAlchemy models, the database handle, queries and Alembic migrations."""

from db.engine import Database

__all__ = ["Database"]
