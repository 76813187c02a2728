"""Values read from the database and kept in memory (`Database.memo`) until they change.

    GRANTS = Memo("role_grants", read_grants)   # read_grants(db) -> the value
    grants = await GRANTS.get(db)               # read once, then from memory
    GRANTS.forget(db)                           # after a committed change: read again next time

A read that a change overtook (`forget` called while it was being read) is returned to its
caller but not kept, so the memory never holds what was true before the change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from db.engine import Database

Value = TypeVar("Value")


class Memo(Generic[Value]):
    def __init__(self, name: str, read: Callable[[Database], Awaitable[Value]]) -> None:
        self.name = name
        self._generation = f"{name}_generation"
        self._read = read

    async def get(self, db: Database) -> Value:
        cached: Value | None = db.memo.get(self.name)
        if cached is not None:
            return cached
        generation = db.memo.get(self._generation, 0)
        value = await self._read(db)
        if db.memo.get(self._generation, 0) == generation:  # no change meanwhile
            db.memo[self.name] = value
        return value

    def forget(self, db: Database) -> None:
        db.memo[self._generation] = db.memo.get(self._generation, 0) + 1
        db.memo.pop(self.name, None)
