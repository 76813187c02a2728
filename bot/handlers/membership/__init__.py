"""Membership: joining (/join), the profile and leaving (/profile, /leave), and the approval of
requests by coordinators and regional leads."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler

from bot.context import BotContext
from bot.handlers.membership import approvals, decline, join, profile


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        *join.build_handlers(),
        *profile.build_handlers(),
        *approvals.build_handlers(),
        *decline.build_handlers(),
    ]
