"""Incident reports, the reporter's side: filing (/report) and following up (/myreports)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler

from bot.context import BotContext
from bot.handlers.reports import filing, help_lines, mine


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [*filing.build_handlers(), *mine.build_handlers(), *help_lines.build_handlers()]
