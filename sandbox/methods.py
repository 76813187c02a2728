"""Bot API method implementations operating on a World."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from .checks import canon, check_rate, format_text, resolve_chat, resolve_reply, validate_markup
from .spec import ApiError, Upload, bad_request
from .state import DEFAULT_UPDATE_TYPES, Msg, StoredFile, Webhook, World, scope_key

MAX_DOWNLOAD = 20 * 1024 * 1024
# A message can be deleted only while it is younger than 48 hours (sent, or received in a
# private chat); after that Telegram answers "Bad Request: message can't be deleted".
DELETE_WINDOW_SECONDS = 48 * 3600
CANNOT_DELETE = "message can't be deleted"
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_LANG_RE = re.compile(r"^[a-z]{2}$")
SENDING_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
    }
)

Params = dict[str, Any]
Handler = Callable[[World, Params], Awaitable[Any]]
HANDLERS: dict[str, Handler] = {}


def handler(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return register


# -- updates, identity -----------------------------------------------------


@handler("getMe")
async def get_me(world: World, p: Params) -> Any:
    return {
        **world.bot_json(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@handler("logOut")
@handler("close")
async def log_out(world: World, p: Params) -> Any:
    return True


@handler("getWebhookInfo")
async def get_webhook_info(world: World, p: Params) -> Any:
    hook = world.webhook
    info: dict[str, Any] = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(world.updates),
    }
    if hook is not None:
        info["max_connections"] = hook.max_connections
        if hook.allowed_updates is not None:
            info["allowed_updates"] = hook.allowed_updates
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
    return info


@handler("deleteWebhook")
async def delete_webhook(world: World, p: Params) -> Any:
    if p.get("drop_pending_updates"):
        world.updates.clear()
    world.webhook = None
    world.webhook_changed()
    return True


_WEBHOOK_PORTS = frozenset({443, 80, 88, 8443})
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@handler("setWebhook")
async def set_webhook(world: World, p: Params) -> Any:
    url = str(p.get("url") or "")
    if not url:
        return await delete_webhook(world, p)
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if (parts.port or 443) not in _WEBHOOK_PORTS:
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
    secret = p.get("secret_token")
    if secret is not None and not _SECRET_RE.match(str(secret)):
        raise bad_request("secret token contains unallowed characters")
    max_connections = int(p.get("max_connections", 40))
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    if p.get("drop_pending_updates"):
        world.updates.clear()
    allowed = p.get("allowed_updates")
    if allowed is not None:
        world.allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_TYPES
    world.webhook = Webhook(
        url=url,
        secret_token=str(secret) if secret is not None else None,
        max_connections=max_connections,
        allowed_updates=list(allowed) if allowed else None,
    )
    world.webhook_changed()
    return True


@handler("getUpdates")
async def get_updates(world: World, p: Params) -> Any:
    if world.webhook is not None:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    world.poll_generation += 1
    generation = world.poll_generation
    world.changed()  # terminates an older pending poll
    if "allowed_updates" in p:
        allowed = p["allowed_updates"]
        world.allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_TYPES
    offset = p.get("offset")
    if offset is not None:
        if offset < 0:
            del world.updates[: max(0, len(world.updates) + offset)]
        else:
            world.updates[:] = [u for u in world.updates if u["update_id"] >= offset]
        world.changed()
    limit = min(100, max(1, p.get("limit", 100)))
    timeout = max(0, p.get("timeout", 0))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        ready = world.deliverable()
        if ready:
            return ready[:limit]
        remaining = deadline - loop.time()
        if remaining <= 0 or world.stopping:
            return []
        await world.wait_change(remaining)
        if world.poll_generation != generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )


# -- commands and descriptions ---------------------------------------------


def _scope_and_lang(p: Params) -> tuple[str, str]:
    scope = p.get("scope") or {"type": "default"}
    if scope.get("type") not in SCOPE_TYPES:
        raise bad_request("can't parse BotCommandScope: unknown scope type")
    if scope["type"] in ("chat", "chat_administrators", "chat_member") and "chat_id" not in scope:
        raise bad_request("chat_id is empty")
    lang = p.get("language_code") or ""
    if lang and not _LANG_RE.match(lang):
        raise bad_request("LANGUAGE_CODE_INVALID")
    return scope_key(scope), lang


@handler("setMyCommands")
async def set_my_commands(world: World, p: Params) -> Any:
    key = _scope_and_lang(p)
    commands = p["commands"]
    if len(commands) > 100:
        raise bad_request("too many commands")
    clean: list[dict[str, Any]] = []
    for c in commands:
        cmd = c.get("command")
        desc = c.get("description")
        if not isinstance(cmd, str) or not _COMMAND_RE.match(cmd):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(desc, str) or not 1 <= len(desc) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        clean.append({"command": cmd, "description": desc})
    if clean:
        world.commands[key] = clean
    else:
        world.commands.pop(key, None)
    world.changed()
    return True


@handler("getMyCommands")
async def get_my_commands(world: World, p: Params) -> Any:
    return world.commands.get(_scope_and_lang(p), [])


@handler("deleteMyCommands")
async def delete_my_commands(world: World, p: Params) -> Any:
    world.commands.pop(_scope_and_lang(p), None)
    world.changed()
    return True


def _description_handlers(kind: str, field: str, limit: int) -> None:
    async def setter(world: World, p: Params) -> Any:
        value = p.get(field) or ""
        if len(value) > limit:
            raise bad_request(f"{kind.upper()}_INVALID")
        lang = p.get("language_code") or ""
        world.descriptions[(field, lang)] = value
        world.changed()
        return True

    async def getter(world: World, p: Params) -> Any:
        lang = p.get("language_code") or ""
        return {field: world.descriptions.get((field, lang), "")}

    HANDLERS[f"setMy{kind}"] = setter
    HANDLERS[f"getMy{kind}"] = getter


_description_handlers("Description", "description", 512)
_description_handlers("ShortDescription", "short_description", 120)
_description_handlers("Name", "name", 64)


# -- sending ---------------------------------------------------------------


@handler("sendMessage")
async def send_message(world: World, p: Params) -> Any:
    chat = resolve_chat(world, p["chat_id"])
    text, entities, html = format_text(p.get("text"), p.get("parse_mode"), p.get("entities"), False)
    markup = validate_markup(p.get("reply_markup"))
    reply_to = resolve_reply(chat, p)
    check_rate(world)
    msg = world.add_bot_message(
        chat,
        "text",
        text=text,
        html=html,
        entities=entities,
        reply_markup=markup,
        reply_to=reply_to,
    )
    return world.message_json(msg)


def _input_file(world: World, value: Any, kind: str) -> StoredFile:
    if isinstance(value, Upload):
        if not value.data:
            raise bad_request("file must be non-empty")
        name = value.filename if kind == "document" else None
        return world.store_file(value.data, kind, name, value.content_type)
    if isinstance(value, str):
        known = world.files.get(value)
        if known is not None:
            if known.kind != kind:
                raise bad_request(
                    f"can't use file of type {known.kind.capitalize()} as {kind.capitalize()}"
                )
            return known
        if value.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content (the sandbox does not fetch URLs)")
    raise bad_request("wrong file identifier/HTTP URL specified")


async def _send_media(world: World, p: Params, kind: str) -> Any:
    chat = resolve_chat(world, p["chat_id"])
    caption, entities, html = format_text(
        p.get("caption"), p.get("parse_mode"), p.get("caption_entities"), True
    )
    markup = validate_markup(p.get("reply_markup"))
    reply_to = resolve_reply(chat, p)
    f = _input_file(world, p[kind], kind)
    check_rate(world)
    msg = world.add_bot_message(
        chat,
        kind,
        text=caption,
        html=html,
        entities=entities,
        reply_markup=markup,
        reply_to=reply_to,
        file=f,
    )
    return world.message_json(msg)


@handler("sendPhoto")
async def send_photo(world: World, p: Params) -> Any:
    return await _send_media(world, p, "photo")


@handler("sendDocument")
async def send_document(world: World, p: Params) -> Any:
    return await _send_media(world, p, "document")


@handler("sendChatAction")
async def send_chat_action(world: World, p: Params) -> Any:
    chat = resolve_chat(world, p["chat_id"])
    if p["action"] not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    world.chat_actions.append((chat.id, p["action"]))
    return True


# -- editing and deleting --------------------------------------------------


def _editable(world: World, p: Params) -> Msg:
    if "inline_message_id" in p:
        raise bad_request("inline messages are not implemented in sandbox")
    if "chat_id" not in p:
        raise bad_request("chat_id is empty")
    if "message_id" not in p:
        raise bad_request("message identifier is not specified")
    chat = resolve_chat(world, p["chat_id"], sending=False)
    msg = chat.by_id.get(p["message_id"])
    if msg is None or msg.deleted:
        raise bad_request("message to edit not found")
    if msg.sender is not None:
        raise bad_request("message can't be edited")
    return msg


NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


def _apply_edit(
    world: World,
    msg: Msg,
    text: str,
    entities: list[dict[str, Any]],
    html: str | None,
    markup: dict[str, Any] | None,
) -> Any:
    old_markup = (
        msg.reply_markup if msg.reply_markup and "inline_keyboard" in msg.reply_markup else None
    )
    if (
        text == msg.text
        and canon(entities) == canon(msg.entities)
        and canon(markup) == canon(old_markup)
    ):
        raise bad_request(NOT_MODIFIED)
    check_rate(world)
    msg.text, msg.entities, msg.html, msg.reply_markup = text, entities, html, markup
    msg.edited = True
    msg.edit_date = world.now()
    world.bot_message_changed(msg)
    return world.message_json(msg)


@handler("editMessageText")
async def edit_message_text(world: World, p: Params) -> Any:
    msg = _editable(world, p)
    if msg.kind != "text":
        raise bad_request("there is no text in the message to edit")
    if "text" not in p:
        raise bad_request("text is empty")
    text, entities, html = format_text(p["text"], p.get("parse_mode"), p.get("entities"), False)
    markup = validate_markup(p.get("reply_markup"), inline_only=True)
    return _apply_edit(world, msg, text, entities, html, markup)


@handler("editMessageCaption")
async def edit_message_caption(world: World, p: Params) -> Any:
    msg = _editable(world, p)
    if msg.kind == "text":
        raise bad_request("there is no caption in the message to edit")
    text, entities, html = format_text(
        p.get("caption"), p.get("parse_mode"), p.get("caption_entities"), True
    )
    markup = validate_markup(p.get("reply_markup"), inline_only=True)
    return _apply_edit(world, msg, text, entities, html, markup)


@handler("editMessageReplyMarkup")
async def edit_message_reply_markup(world: World, p: Params) -> Any:
    msg = _editable(world, p)
    markup = validate_markup(p.get("reply_markup"), inline_only=True)
    return _apply_edit(world, msg, msg.text, msg.entities, msg.html, markup)


@handler("deleteMessage")
async def delete_message(world: World, p: Params) -> Any:
    chat = resolve_chat(world, p["chat_id"], sending=False)
    msg = chat.by_id.get(p["message_id"])
    if msg is None or msg.deleted:
        raise bad_request("message to delete not found")
    if _too_old_to_delete(world, msg):
        raise bad_request(CANNOT_DELETE)
    msg.deleted = True
    world.changed()
    return True


def _too_old_to_delete(world: World, msg: Msg) -> bool:
    return world.now() - msg.date >= DELETE_WINDOW_SECONDS


@handler("deleteMessages")
async def delete_messages(world: World, p: Params) -> Any:
    chat = resolve_chat(world, p["chat_id"], sending=False)
    ids = p["message_ids"]
    if not ids:
        raise bad_request("message_ids must be non-empty")
    if len(ids) > 100:
        raise bad_request("too many message identifiers specified")
    found = [chat.by_id[i] for i in ids if i in chat.by_id and not chat.by_id[i].deleted]
    if not found:
        raise bad_request("message to delete not found")
    # Messages not found are skipped, as Telegram does; one too old to delete refuses the
    # whole request, and nothing is deleted.
    if any(_too_old_to_delete(world, msg) for msg in found):
        raise bad_request(CANNOT_DELETE)
    for msg in found:
        msg.deleted = True
    world.changed()
    return True


# -- callbacks and files ---------------------------------------------------


@handler("answerCallbackQuery")
async def answer_callback_query(world: World, p: Params) -> Any:
    query = world.callback_queries.get(p["callback_query_id"])
    if query is None or query["answered"]:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = p.get("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    query["answered"] = True
    query["user"].callback_answers.append(
        {
            "callback_query_id": p["callback_query_id"],
            "text": text,
            "show_alert": bool(p.get("show_alert", False)),
            "url": p.get("url"),
        }
    )
    world.changed()
    return True


@handler("getFile")
async def get_file(world: World, p: Params) -> Any:
    f = world.files.get(p["file_id"])
    if f is None:
        raise bad_request("invalid file_id")
    if len(f.data) > MAX_DOWNLOAD:
        raise bad_request("file is too big")
    return {**f.meta(), "file_path": f.file_path}
