"""Who may do what. Every privileged handler and button asks here, on the server side."""

from __future__ import annotations

from bot.config import Settings
from db.engine import Database


async def is_coordinator(db: Database, settings: Settings, user_id: int) -> bool:
    """Coordinators are the ids in COORDINATOR_IDS (promotion from chat comes with roles)."""
    return user_id in settings.coordinator_ids
