"""A local stand-in for the Telegram Bot API, for end-to-end tests of the bot."""

from .faults import Fault
from .server import Sandbox
from .state import Breach, Entry, SimChat, SimUser, scope_key

__all__ = ["Breach", "Entry", "Fault", "Sandbox", "SimChat", "SimUser", "scope_key"]
