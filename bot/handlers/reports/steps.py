"""The questions of an incident report (/report)."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta
from typing import Any

from telegram import Message

from bot.forms import Incoming, Input, Option, Refused, Step, Turn, clean_text
from bot.forms.common import question, region_step
from bot.i18n import N_, Translator
from bot.keyboards import category_name, occurred_name, region_name
from bot.services.reports import CATEGORIES, MAX_ATTACHMENTS, MAX_FILE_BYTES

STORY_MAX = 20_000  # characters of a story; a message that crosses it is still kept whole
PLACE_MAX = 200
WHAT_MAX = 200
DATE_RE = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})[./-](\d{4})\s*$")
ISO_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
EARLIEST_YEAR = 1991


# -- what and where --------------------------------------------------------------------------


def category_options(t: Translator, _draft: dict[str, Any]) -> list[Option]:
    return [Option(code, t.gettext(label)) for code, label in CATEGORIES.items()]


async def accept_category(turn: Turn, incoming: Incoming) -> bool:
    turn.draft["category"] = incoming.value
    if incoming.value != "other":
        turn.draft.pop("what", None)
    return True


async def accept_what(turn: Turn, incoming: Incoming) -> bool:
    what = clean_text(incoming.text or "")
    if not what or len(what) > WHAT_MAX:
        raise Refused(turn.t.gettext("Please say it in one line (200 characters at most)."))
    turn.draft["what"] = what
    return True


async def accept_place(turn: Turn, incoming: Incoming) -> bool:
    message = incoming.message
    if message is not None and message.location is not None:
        location = message.location
        turn.draft["place"] = f"📍 {location.latitude:.5f}, {location.longitude:.5f}"
        return True
    place = clean_text(incoming.text or "")
    if not place or len(place) > PLACE_MAX:
        raise Refused(turn.t.gettext("Please keep the place under 200 characters."))
    turn.draft["place"] = place
    return True


# -- the story and its files -----------------------------------------------------------------


def story_options(t: Translator, draft: dict[str, Any]) -> list[Option]:
    """When there is a story already (she came back to it): a way to start it again."""
    if draft.get("text") or draft.get("files"):
        return [Option("clear", "🗑 " + t.gettext("Start the story again"))]
    return []


def incoming_file(message: Message) -> dict[str, Any] | None:
    """What a photo, document, voice, audio or video message carries."""
    caption = clean_text(message.caption or "", lines=True) or None  # shown on the card
    if message.photo:
        photo = message.photo[-1]
        return {
            "kind": "photo",
            "file_id": photo.file_id,
            "size": photo.file_size or 0,
            "caption": caption,
        }
    for kind in ("document", "voice", "audio", "video", "video_note"):
        item = getattr(message, kind)
        if item is not None:
            return {
                "kind": kind,
                "file_id": item.file_id,
                "size": item.file_size or 0,
                "file_name": clean_text(getattr(item, "file_name", None) or "") or None,
                "mime_type": getattr(item, "mime_type", None),
                "caption": caption,
            }
    return None


async def accept_story(turn: Turn, incoming: Incoming) -> bool:
    """Texts and files accumulate until ✔ Done; nothing she sent is thrown away."""
    t, draft = turn.t, turn.draft
    if incoming.kind == Input.BUTTON:  # 🗑 Start the story again
        draft.pop("text", None)
        draft.pop("files", None)
        return False
    story = str(draft.get("text", ""))
    if incoming.kind == Input.FILE:
        assert incoming.message is not None
        item = incoming_file(incoming.message)
        files: list[dict[str, Any]] = draft.setdefault("files", [])
        if item is None:
            raise Refused(t.gettext("Please send a text or a file."))
        if len(files) >= MAX_ATTACHMENTS:
            raise Refused(
                t.gettext(
                    "You have already attached {max} files, the most one report can take."
                ).format(max=MAX_ATTACHMENTS)
            )
        if item["size"] > MAX_FILE_BYTES:
            raise Refused(
                t.gettext("This file is larger than 20 MB, which the bot cannot receive.")
            )
        files.append(item)
        notice = t.gettext("File {number} of at most {max} added. Send more, or tap “Done”.")
        notice = notice.format(number=len(files), max=MAX_ATTACHMENTS)
    else:
        if len(story) >= STORY_MAX:
            raise Refused(
                t.gettext(
                    "Your story already holds {max} characters, the most a report takes. Please "
                    "send anything further as a document (a file), or tap “Done”."
                ).format(max=STORY_MAX)
            )
        notice = t.gettext("Added. Send more, or tap “Done”.")
    text = clean_text(incoming.text or "", lines=True)
    if text:
        story = (story + "\n\n" + text).strip()
        draft["text"] = story
        if len(story) > STORY_MAX:
            notice = t.gettext(
                "Added. Your story now holds {count} characters, more than the {max} a report "
                "usually takes: all of it is kept, but please send anything further as a "
                "document (a file)."
            ).format(count=len(story), max=STORY_MAX)
    await turn.remind(STORY, notice)
    return False


def story_done(turn: Turn) -> str | None:
    if turn.draft.get("text"):
        return None
    return turn.t.gettext("Please describe what happened in a few words first.")


def story_question(t: Translator, draft: dict[str, Any]) -> str:
    text = t.gettext(
        "<b>What happened?</b>\nDescribe it in your own words: who, what, where. You can "
        "send it in several messages, and also send photos, documents, voice or video "
        "messages (up to {max} files). Tap “Done” when you have finished."
    ).format(max=MAX_ATTACHMENTS)
    if draft.get("text"):
        text += "\n\n" + t.gettext("What you have written so far is kept; what you send is added.")
    return text


# -- when ------------------------------------------------------------------------------------


def when_options(t: Translator, _draft: dict[str, Any]) -> list[Option]:
    return [
        Option("today", t.gettext("Today")),
        Option("yesterday", t.gettext("Yesterday")),
        Option("week", t.gettext("This week")),
    ]


def parse_date(text: str) -> date | None:
    """21.11.2026, 21/11/2026, 21-11-2026 or 2026-11-21."""
    if match := DATE_RE.match(text):
        day, month, year = (int(g) for g in match.groups())
    elif match := ISO_RE.match(text):
        year, month, day = (int(g) for g in match.groups())
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


async def accept_when(turn: Turn, incoming: Incoming) -> bool:
    """Kept as the date (or the days) it meant when she answered: "today" stays that day."""
    t = turn.t
    today = datetime.now(turn.context.settings.tz).date()
    if incoming.kind == Input.BUTTON:
        days = {"today": (0, 0), "yesterday": (1, 1), "week": (6, 0)}[str(incoming.value)]
        first, last = today - timedelta(days=days[0]), today - timedelta(days=days[1])
    else:
        when = parse_date(incoming.text or "")
        if when is None:
            raise Refused(t.gettext("Please type a date like 21.11.2026, or tap a button."))
        if when > today or when.year < EARLIEST_YEAR:
            raise Refused(t.gettext("Please type a date that is not in the future."))
        first = last = when
    turn.draft["occurred"] = first.isoformat() if first == last else f"{first}/{last}"
    return True


# -- danger and contact ----------------------------------------------------------------------


def danger_options(t: Translator, _draft: dict[str, Any]) -> list[Option]:
    return [
        Option("yes", "⚠️ " + t.gettext("Yes, someone is in danger")),
        Option("no", t.gettext("No")),
    ]


def contact_options(t: Translator, _draft: dict[str, Any]) -> list[Option]:
    return [
        Option("anon", "🕶 " + t.gettext("Keep me anonymous")),
        Option("named", "👤 " + t.gettext("Coordinators may see who I am")),
    ]


async def accept_contact(turn: Turn, incoming: Incoming) -> bool:
    turn.draft["anonymous"] = incoming.value == "anon"
    return True


def _yes_no(t: Translator, value: object) -> str:
    return t.gettext("yes") if value else t.gettext("no")


def contact_name(t: Translator, anonymous: object) -> str:
    return t.gettext("anonymous") if anonymous else t.gettext("coordinators may see who you are")


CATEGORY = Step(
    "category",
    question(N_("<b>What is it about?</b>")),
    Input.BUTTON,
    accept_category,
    options=category_options,
    label=N_("About"),
    show=lambda t, d: category_name(t, d.get("category")),
)
WHAT = Step(
    "what",
    question(N_("<b>In one line: what was it?</b> (optional)")),
    Input.TEXT,
    accept_what,
    label=N_("What it was"),
    show=lambda t, d: html.escape(d.get("what") or "—"),
    optional=True,
    applies=lambda d: d.get("category") == "other",
)
REGION = region_step(question(N_("<b>Where did it happen?</b>")))
PLACE = Step(
    "place",
    question(
        N_(
            "<b>The place</b> (optional)\nType the town, village or institution, or send a "
            "location pin (📎 → Location), or skip."
        )
    ),
    Input.TEXT | Input.LOCATION,
    accept_place,
    label=N_("Place"),
    show=lambda t, d: html.escape(d.get("place") or "—"),
    optional=True,
    hint=N_("Please type the place, or send a location pin, or skip."),
)
STORY = Step(
    "text",
    story_question,
    Input.TEXT | Input.FILE | Input.BUTTON,
    accept_story,
    options=story_options,
    label=N_("What happened"),
    show=lambda t, d: t.ngettext(
        "{count} character", "{count} characters", len(d.get("text") or "")
    ).format(count=len(d.get("text") or "")),
    collect=True,
    done=story_done,
    hint=N_("Please describe it in a text message, or send a photo, document or recording."),
)
WHEN = Step(
    "occurred",
    question(
        N_("<b>When did it happen?</b>\nTap a button, or type the date, for example 21.11.2026.")
    ),
    Input.BUTTON | Input.TEXT,
    accept_when,
    options=when_options,
    label=N_("When"),
    show=lambda t, d: occurred_name(t, d.get("occurred")),
    per_row=3,
)
CONTACT = Step(
    "anonymous",
    question(
        N_(
            "<b>How may the coordinators contact you?</b>\nAnonymous: they never see your name, "
            "username or phone, yet they can still write to you through this bot, and you can "
            "answer."
        )
    ),
    Input.BUTTON,
    accept_contact,
    options=contact_options,
    label=N_("Contact"),
    show=lambda t, d: contact_name(t, d.get("anonymous")),
)


def summary_text(t: Translator, draft: dict[str, Any]) -> str:
    files = len(draft.get("files") or [])
    story = str(draft.get("text") or "")
    if len(story) > 1500:
        story = story[:1500] + "…"
    lines = [
        t.gettext("<b>Please check your report</b>"),
        t.gettext("About: {value}").format(value=category_name(t, draft.get("category"))),
    ]
    if draft.get("what"):
        lines.append(t.gettext("What it was: {value}").format(value=html.escape(draft["what"])))
    lines += [
        t.gettext("Region: {value}").format(value=region_name(t, draft.get("region"))),
        t.gettext("Place: {value}").format(value=html.escape(draft.get("place") or "—")),
        t.gettext("When: {value}").format(value=occurred_name(t, draft.get("occurred"))),
        t.gettext("Someone in immediate danger: {value}").format(
            value=_yes_no(t, draft.get("danger"))
        ),
        t.gettext("Contact: {value}").format(value=contact_name(t, draft.get("anonymous"))),
        t.ngettext("{count} file attached", "{count} files attached", files).format(count=files),
        "",
        html.escape(story),
    ]
    return "\n".join(lines)
