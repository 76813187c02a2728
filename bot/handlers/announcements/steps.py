"""The questions of /broadcast: who it is for (everyone, or chosen regions, roles, interests
and a language), the text, a photo or document, versions in other languages, and whether it
may be forwarded.

The text is her own message, formatted in Telegram (bold, italic, links…) and kept as
Telegram's HTML of it (`Message.text_html`, her text escaped), so members get exactly what she
typed, formatting included.
"""

from __future__ import annotations

import html
import re
from typing import Any

from telegram import Message

from bot.forms import Incoming, Input, Option, Refused, Step, Turn
from bot.handlers.announcements.common import audience_text, excerpt
from bot.i18n import LANGUAGE_NAMES, LANGUAGES, N_, Translator
from bot.keyboards import region_name
from bot.services.announcements import (
    CAPTION_LIMIT,
    ROLES,
    TEXT_LIMIT,
    Audience,
    Content,
    Text,
)
from bot.services.community import INTERESTS
from bot.text import utf16_len

# Custom emoji need a username bought on Fragment, and date-time entities are not for bots:
# their text is kept, without the tag.
_UNSENDABLE = re.compile(r"</?(tg-emoji|tg-time)\b[^>]*>")


def message_text(message: Message) -> Text:
    """Her message as Telegram will show it again: HTML of its formatting, and its length."""
    source = message.text if message.text is not None else message.caption or ""
    formatted = message.text_html if message.text is not None else message.caption_html or ""
    return Text(_UNSENDABLE.sub("", formatted), utf16_len(source))


def _mark(chosen: bool) -> str:
    return "✅ " if chosen else "▫️ "


def _question(msgid: str) -> Any:
    def question(t: Translator, _draft: dict[str, Any]) -> str:
        return t.gettext(msgid)

    return question


def _toggle(name: str) -> Any:
    async def toggle(turn: Turn, incoming: Incoming) -> bool:
        chosen = list(turn.draft.get(name) or [])
        if incoming.value in chosen:
            chosen.remove(incoming.value)
        else:
            chosen.append(str(incoming.value))
        turn.draft[name] = chosen
        return False

    return toggle


def _none_means_all(name: str) -> Any:
    def done(turn: Turn) -> str | None:
        turn.draft.setdefault(name, [])  # ✔ Done with nothing chosen: no restriction
        return None

    return done


def _some(draft: dict[str, Any]) -> bool:
    return draft.get("scope") == "some"


# -- who ------------------------------------------------------------------------------------


def audience_from(draft: dict[str, Any]) -> Audience:
    if not _some(draft):
        return Audience()
    allowed = list(draft.get("_regions") or [])
    regions = [r for r in allowed if r in (draft.get("regions") or [])]
    return Audience(
        regions=tuple(regions),
        roles=tuple(r for r in ROLES if r in (draft.get("roles") or [])),
        interests=tuple(i for i in INTERESTS if i in (draft.get("interests") or [])),
        language=draft.get("language") if draft.get("language") in LANGUAGES else None,
    )


def _everyone(t: Translator, draft: dict[str, Any]) -> str:
    return t.gettext("All members") if draft.get("_all") else t.gettext("All members of my regions")


def scope_options(t: Translator, draft: dict[str, Any]) -> list[Option]:
    return [
        Option("all", "👥 " + _everyone(t, draft)),
        Option("some", "🎯 " + t.gettext("Choose who")),
    ]


async def accept_scope(turn: Turn, incoming: Incoming) -> bool:
    """Everyone, or chosen people: the choices are asked (again) after "Choose who"."""
    turn.draft["scope"] = incoming.value
    for name in ("regions", "roles", "interests", "language"):
        turn.draft.pop(name, None)
    return True


def region_options(t: Translator, draft: dict[str, Any]) -> list[Option]:
    chosen = draft.get("regions") or []
    return [
        Option(code, _mark(code in chosen) + region_name(t, code))
        for code in draft.get("_regions") or []
    ]


def role_options(t: Translator, draft: dict[str, Any]) -> list[Option]:
    chosen = draft.get("roles") or []
    return [Option(code, _mark(code in chosen) + t.gettext(label)) for code, label in ROLES.items()]


def interest_options(t: Translator, draft: dict[str, Any]) -> list[Option]:
    chosen = draft.get("interests") or []
    return [
        Option(code, _mark(code in chosen) + t.gettext(label)) for code, label in INTERESTS.items()
    ]


def language_options(t: Translator, _draft: dict[str, Any]) -> list[Option]:
    return [
        Option("any", "🌐 " + t.gettext("Any language")),
        *(Option(code, LANGUAGE_NAMES[code]) for code in LANGUAGES),
    ]


async def accept_language(turn: Turn, incoming: Incoming) -> bool:
    turn.draft["language"] = incoming.value  # a language, or "any"
    return True


def show_audience(t: Translator, draft: dict[str, Any]) -> str:
    if not _some(draft):
        return html.escape(_everyone(t, draft))
    return html.escape(audience_text(t, audience_from(draft), bool(draft.get("_all"))))


# -- what -----------------------------------------------------------------------------------


def content_from(draft: dict[str, Any]) -> Content:
    file = draft.get("file") or {}
    return Content(
        text=Text(*draft["text"]),
        versions={lang: Text(*v) for lang, v in (draft.get("versions") or {}).items()},
        file_kind=file.get("kind"),
        file_id=file.get("file_id"),
        protect=draft.get("protect") == "yes",
    )


def too_long_hint(t: Translator, length: int, limit: int) -> str:
    if limit == CAPTION_LIMIT:
        return t.gettext(
            "With a photo or document, Telegram allows at most {limit} characters of text; this "
            "text has {length}. Everything you wrote is kept: send a shorter text, or remove "
            "the file (⏭ Skip at “Photo or document”)."
        ).format(limit=limit, length=length)
    return t.gettext(
        "Telegram allows at most {limit} characters in a message; this text has {length}. "
        "Please send a shorter one."
    ).format(limit=limit, length=length)


def _limit(draft: dict[str, Any]) -> int:
    return CAPTION_LIMIT if draft.get("file") else TEXT_LIMIT


async def accept_text(turn: Turn, incoming: Incoming) -> bool:
    """Her message, formatting and all. Kept even when it is too long for a caption (she is
    told the limit)."""
    assert incoming.message is not None
    text = message_text(incoming.message)
    if not text.length:
        raise Refused(turn.t.gettext("Please send the text of the announcement."))
    turn.draft["text"] = [text.html, text.length]
    if text.length > _limit(turn.draft):
        raise Refused(too_long_hint(turn.t, text.length, _limit(turn.draft)))
    return True


def text_question(t: Translator, draft: dict[str, Any]) -> str:
    question = t.gettext(
        "<b>The text</b>\nSend the announcement as one message. Format it in Telegram as you "
        "like (bold, italic, links): members get exactly what you send."
    )
    if draft.get("text"):
        question += "\n" + t.gettext("Your text so far is kept until you send a new one.")
    return question


def show_text(t: Translator, draft: dict[str, Any]) -> str:
    return excerpt(Content(Text(*draft["text"]))) if draft.get("text") else "—"


async def accept_file(turn: Turn, incoming: Incoming) -> bool:
    """One photo or document, kept by Telegram's file_id (it is not downloaded)."""
    message = incoming.message
    assert message is not None
    t = turn.t
    if message.photo:
        file = {"kind": "photo", "file_id": message.photo[-1].file_id, "name": None}
    elif message.document is not None:
        file = {
            "kind": "document",
            "file_id": message.document.file_id,
            "name": message.document.file_name,
        }
    else:
        raise Refused(t.gettext("Please send a photo or a document (a file), or skip."))
    texts = [turn.draft["text"], *(turn.draft.get("versions") or {}).values()]
    longest = max(length for _html, length in texts)
    if longest > CAPTION_LIMIT:
        raise Refused(too_long_hint(t, longest, CAPTION_LIMIT))
    turn.draft["file"] = file
    return True


def show_file(t: Translator, draft: dict[str, Any]) -> str:
    file = draft.get("file")
    if not file:
        return "—"
    if file["kind"] == "photo":
        return "🖼 " + t.gettext("a photo")
    return "📄 " + html.escape(file.get("name") or t.gettext("a document"))


def version_options(t: Translator, draft: dict[str, Any]) -> list[Option]:
    versions = draft.get("versions") or {}
    awaited = draft.get("_vlang")

    def icon(code: str) -> str:
        return "✍️ " if code == awaited else "✏️ " if code in versions else "➕ "

    options = [Option(code, icon(code) + LANGUAGE_NAMES[code]) for code in LANGUAGES]
    if versions:
        options.append(Option("clear", "🗑 " + t.gettext("Remove the versions")))
    return options


async def accept_version(turn: Turn, incoming: Incoming) -> bool:
    """A language button, then the text in that language; ✔ Done when there are enough."""
    t, draft = turn.t, turn.draft
    if incoming.kind == Input.BUTTON:
        if incoming.value == "clear":
            draft["versions"] = {}
            draft.pop("_vlang", None)
            return False
        draft["_vlang"] = incoming.value
        await turn.remind(
            VERSIONS,
            t.gettext("Send the text in {language}.").format(
                language=LANGUAGE_NAMES[str(incoming.value)]
            ),
        )
        return False
    lang = draft.get("_vlang")
    if lang not in LANGUAGES:
        raise Refused(t.gettext("First tap the language of this text."))
    assert incoming.message is not None
    text = message_text(incoming.message)
    if not text.length:
        raise Refused(
            t.gettext("Send the text in {language}.").format(language=LANGUAGE_NAMES[lang])
        )
    draft.setdefault("versions", {})
    draft["versions"] = {**(draft.get("versions") or {}), lang: [text.html, text.length]}
    draft.pop("_vlang", None)
    if text.length > _limit(draft):
        raise Refused(too_long_hint(t, text.length, _limit(draft)))
    await turn.remind(
        VERSIONS,
        t.gettext("The text in {language} is kept. Add another language, or tap “Done”.").format(
            language=LANGUAGE_NAMES[lang]
        ),
    )
    return False


def show_versions(t: Translator, draft: dict[str, Any]) -> str:
    versions = draft.get("versions") or {}
    return ", ".join(LANGUAGE_NAMES[code] for code in LANGUAGES if code in versions) or "—"


def protect_options(t: Translator, _draft: dict[str, Any]) -> list[Option]:
    return [
        Option("no", t.gettext("May be forwarded")),
        Option("yes", "🔒 " + t.gettext("Protect from forwarding")),
    ]


async def accept_protect(turn: Turn, incoming: Incoming) -> bool:
    turn.draft["protect"] = incoming.value
    return True


def show_protect(t: Translator, draft: dict[str, Any]) -> str:
    if draft.get("protect") == "yes":
        return t.gettext("protected: it cannot be forwarded or saved")
    return t.gettext("may be forwarded")


SCOPE = Step(
    "scope",
    _question(N_("<b>New announcement</b>\nWho should get it?")),
    Input.BUTTON,
    accept_scope,
    options=scope_options,
    label=N_("Who"),
    show=show_audience,
)
REGIONS = Step(
    "regions",
    _question(N_("<b>Which regions?</b>\nTap all that apply, then “Done”; none means all.")),
    Input.BUTTON,
    _toggle("regions"),
    done=_none_means_all("regions"),
    options=region_options,
    applies=lambda d: _some(d) and len(d.get("_regions") or []) > 1,
    collect=True,
    optional=True,
    per_row=2,
)
ROLES_STEP = Step(
    "roles",
    _question(N_("<b>Which roles?</b>\nTap all that apply, then “Done”; none means all.")),
    Input.BUTTON,
    _toggle("roles"),
    done=_none_means_all("roles"),
    options=role_options,
    applies=_some,
    collect=True,
    optional=True,
)
INTERESTS_STEP = Step(
    "interests",
    _question(
        N_(
            "<b>Which interests?</b>\nMembers with any of those you tap get it; "
            "none means all. Then “Done”."
        )
    ),
    Input.BUTTON,
    _toggle("interests"),
    done=_none_means_all("interests"),
    options=interest_options,
    applies=_some,
    collect=True,
    optional=True,
)
LANGUAGE = Step(
    "language",
    _question(N_("<b>Which language?</b>\nOnly members who read the bot in it get it.")),
    Input.BUTTON,
    accept_language,
    options=language_options,
    applies=_some,
    per_row=2,
)
TEXT = Step(
    "text",
    text_question,
    Input.TEXT,
    accept_text,
    label=N_("Text"),
    show=show_text,
    hint=N_("Please send the text of the announcement as a message."),
)
FILE = Step(
    "file",
    _question(
        N_(
            "<b>A photo or a document</b> (optional)\nSend one to go with the text (the text "
            "becomes its caption), or skip."
        )
    ),
    Input.FILE,
    accept_file,
    label=N_("Photo or document"),
    show=show_file,
    optional=True,
    hint=N_("Please send a photo or a document (a file), or skip."),
)
VERSIONS = Step(
    "versions",
    _question(
        N_(
            "<b>Other languages</b> (optional)\nMembers whose language has its own version get "
            "it; everyone else gets the text above. Tap a language, send its text; “Done” when "
            "you have finished."
        )
    ),
    Input.BUTTON | Input.TEXT,
    accept_version,
    options=version_options,
    label=N_("Other languages"),
    show=show_versions,
    optional=True,
    collect=True,
    per_row=3,
)
PROTECT = Step(
    "protect",
    _question(
        N_(
            "<b>Forwarding</b>\nFor a sensitive notice, Telegram can stop members from "
            "forwarding or saving it."
        )
    ),
    Input.BUTTON,
    accept_protect,
    options=protect_options,
    label=N_("Forwarding"),
    show=show_protect,
)
STEPS = (SCOPE, REGIONS, ROLES_STEP, INTERESTS_STEP, LANGUAGE, TEXT, FILE, VERSIONS, PROTECT)


def summary_text(t: Translator, draft: dict[str, Any]) -> str:
    lines = [t.gettext("<b>Your announcement</b>")]
    for step in (SCOPE, TEXT, FILE, VERSIONS, PROTECT):
        assert step.label is not None and step.show is not None
        lines.append(f"{t.gettext(step.label)}: {step.show(t, draft)}")
    lines.append(t.gettext("Next: a preview, exactly as members will see it."))
    return "\n".join(lines)
