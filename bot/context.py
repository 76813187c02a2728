"""Typed application and context: handlers get `context.db`, `context.t`, `context.settings`."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any, cast

from telegram.ext import Application, CallbackContext, ExtBot

from bot.config import Settings
from bot.i18n import DEFAULT_LANGUAGE, Translator, get_translator
from bot.services.limits import Limits
from db.engine import Database
from db.users import UserInfo

if TYPE_CHECKING:
    from telegram.request import BaseRequest

    from bot.delivery.sender import Sender
    from bot.replies import Edits


class SolidarityApp(Application[Any, Any, Any, Any, Any, Any]):
    """The PTB Application plus the resources every handler needs."""

    __slots__ = ("db", "edits", "http", "limits", "sender", "settings")

    def __init__(self, *, settings: Settings, db: Database, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.db = db
        # The outbox's sender (bot/delivery/sender.py), started in post_init.
        self.sender: Sender | None = None
        # What each person did lately, against flooding (bot/services/limits.py).
        self.limits = Limits()
        # What the bot last put in the messages it edited (bot/replies.edit_message).
        self.edits: Edits = OrderedDict()
        # The bot's HTTP clients (bot/transport.py), set by build_application.
        self.http: list[BaseRequest] = []

    async def initialize(self) -> None:
        try:
            await super().initialize()
        except BaseException:
            # A start that failed (a refused token, no network) is not shut down by
            # python-telegram-bot: the HTTP sessions it opened are closed here.
            for request in self.http:
                await request.shutdown()
            raise

    def wake_sender(self) -> None:
        """Messages were written to the outbox: the sender looks at once."""
        if self.sender is not None:
            self.sender.wake()


class BotContext(CallbackContext[ExtBot[None], dict[str, Any], dict[str, Any], dict[str, Any]]):
    """One per update. The user-tracking handler sets the language before feature handlers run."""

    __slots__ = ("_lang", "person")

    def __init__(
        self, application: Any, chat_id: int | None = None, user_id: int | None = None
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self._lang: str | None = None
        # Her stored record, set by the user-tracking handler for updates that come from a person.
        self.person: UserInfo | None = None

    @property
    def app(self) -> SolidarityApp:
        return cast(SolidarityApp, self.application)

    @property
    def db(self) -> Database:
        return self.app.db

    @property
    def settings(self) -> Settings:
        return self.app.settings

    @property
    def lang(self) -> str | None:
        """Her language if known (stored choice or Telegram's), else None: she will be asked."""
        return self._lang

    @lang.setter
    def lang(self, value: str | None) -> None:
        self._lang = value

    @property
    def t(self) -> Translator:
        return get_translator(self._lang or DEFAULT_LANGUAGE, self.settings.timezone)
