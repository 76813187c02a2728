"""The questions of joining the community: asked by /join, and one at a time by /profile."""

from __future__ import annotations

import html
from typing import Any

from bot.forms import Incoming, Input, Option, Refused, Step, Turn, clean_text
from bot.forms.common import question, region_step
from bot.i18n import N_, Translator
from bot.keyboards import region_name
from bot.services.community import INTERESTS, OCCUPATIONS

NAME_MIN, NAME_MAX, DISTRICT_MAX = 2, 100, 100


def occupation_name(t: Translator, code: str | None) -> str:
    return t.gettext(OCCUPATIONS[code]) if code in OCCUPATIONS else "—"


def interest_names(t: Translator, codes: list[str] | tuple[str, ...]) -> str:
    return ", ".join(t.gettext(INTERESTS[c]) for c in codes if c in INTERESTS) or "—"


def _now(t: Translator, draft: dict[str, Any], name: str) -> str:
    """ "Now: …" under a question she answered before (when editing)."""
    value = draft.get(name)
    return "\n" + t.gettext("Now: {value}").format(value=html.escape(value)) if value else ""


# -- the questions --------------------------------------------------------------------------


async def accept_name(turn: Turn, incoming: Incoming) -> bool:
    """A name: 2–100 characters with at least one letter, any script."""
    name = clean_text(incoming.text or "")
    if not (NAME_MIN <= len(name) <= NAME_MAX) or not any(ch.isalpha() for ch in name):
        raise Refused(
            turn.t.gettext(
                "Please write your name with 2 to 100 characters, for example “Айнура Токтогулова”."
            )
        )
    turn.draft["name"] = name
    return True


async def accept_district(turn: Turn, incoming: Incoming) -> bool:
    district = clean_text(incoming.text or "")
    if not district or len(district) > DISTRICT_MAX:
        raise Refused(turn.t.gettext("Please keep it under 100 characters, or skip this question."))
    turn.draft["district"] = district
    return True


def occupation_options(t: Translator, _draft: dict[str, Any]) -> list[Option]:
    return [Option(code, t.gettext(label)) for code, label in OCCUPATIONS.items()]


async def accept_occupation(turn: Turn, incoming: Incoming) -> bool:
    turn.draft["occupation"] = incoming.value
    return True


def interest_options(t: Translator, draft: dict[str, Any]) -> list[Option]:
    chosen = draft.get("interests") or []
    return [
        Option(code, ("✅ " if code in chosen else "▫️ ") + t.gettext(label))
        for code, label in INTERESTS.items()
    ]


async def toggle_interest(turn: Turn, incoming: Incoming) -> bool:
    """A tap chooses an interest or takes it back; ✔ Done goes on."""
    chosen = list(turn.draft.get("interests") or [])
    if incoming.value in chosen:
        chosen.remove(incoming.value)
    else:
        chosen.append(str(incoming.value))
    turn.draft["interests"] = [code for code in INTERESTS if code in chosen]
    return False


def interests_done(turn: Turn) -> str | None:
    return None if turn.draft.get("interests") else turn.t.gettext("Choose at least one interest.")


async def accept_phone(turn: Turn, incoming: Incoming) -> bool:
    """Her own number, shared with Telegram's button (never typed)."""
    contact = incoming.message.contact if incoming.message else None
    if contact is None or contact.user_id != turn.user_id:
        raise Refused(turn.t.gettext("Please share your own number with the button below."))
    phone = contact.phone_number
    turn.draft["phone"] = phone if phone.startswith("+") else "+" + phone
    return True


def consent_options(t: Translator, _draft: dict[str, Any]) -> list[Option]:
    return [Option("agree", "✅ " + t.gettext("I agree"))]


async def accept_consent(turn: Turn, incoming: Incoming) -> bool:
    turn.draft["consent"] = True
    return True


def _text(msgid: str, field: str | None = None) -> Any:
    def question(t: Translator, draft: dict[str, Any]) -> str:
        return t.gettext(msgid) + (_now(t, draft, field) if field else "")

    return question


NAME = Step(
    "name",
    _text(
        N_("<b>Your full name</b>\nHow should the community know you? (2–100 characters)"),
        "name",
    ),
    Input.TEXT,
    accept_name,
    label=N_("Name"),
)
REGION = region_step(question(N_("<b>Your region</b>")))
DISTRICT = Step(
    "district",
    _text(N_("<b>Your district, town or village</b>\nType it, or skip this question."), "district"),
    Input.TEXT,
    accept_district,
    label=N_("District"),
    optional=True,
)
OCCUPATION = Step(
    "occupation",
    _text(N_("<b>Who are you?</b>")),
    Input.BUTTON,
    accept_occupation,
    options=occupation_options,
    label=N_("Who I am"),
    show=lambda t, d: occupation_name(t, d.get("occupation")),
)
INTERESTS_STEP = Step(
    "interests",
    _text(N_("<b>Your interests</b>\nTap all that apply, then “Done”.")),
    Input.BUTTON,
    toggle_interest,
    options=interest_options,
    label=N_("Interests"),
    show=lambda t, d: interest_names(t, d.get("interests") or []),
    collect=True,
    done=interests_done,
)
PHONE = Step(
    "phone",
    _text(
        N_(
            "<b>Your phone number</b> (optional)\nTap “Share my phone number” below, or skip. "
            "Only the coordinators and the lead of your region will see it."
        )
    ),
    Input.CONTACT,
    accept_phone,
    label=N_("Phone"),
    optional=True,
)
CONSENT = Step(
    "consent",
    _text(
        N_(
            "<b>Your data and your consent</b>\n"
            "We keep: your name, region, district, who you are, your interests, and your phone "
            "number if you shared it. Name, district and phone are stored encrypted.\n"
            "Who sees them: the coordinators of the community and the regional lead of your "
            "region. Nobody else; they are never published.\n"
            "Why: to connect you with the community and the events of your region.\n"
            "Your choice: /profile shows and changes what we keep; /leave erases it at once.\n\n"
            "Do you agree to the processing of your personal data for these purposes?"
        )
    ),
    Input.BUTTON,
    accept_consent,
    options=consent_options,
)
# The questions a member can change later in /profile.
PROFILE_STEPS = (NAME, REGION, DISTRICT, OCCUPATION, INTERESTS_STEP, PHONE)


def details_lines(t: Translator, values: dict[str, Any]) -> list[str]:
    """Her details, one per line (the summary and /profile)."""
    phone = values.get("phone")
    return [
        t.gettext("Name: {value}").format(value=html.escape(values.get("name") or "—")),
        t.gettext("Region: {value}").format(value=region_name(t, values.get("region"))),
        t.gettext("District, town or village: {value}").format(
            value=html.escape(values.get("district") or "—")
        ),
        t.gettext("Who you are: {value}").format(
            value=occupation_name(t, values.get("occupation"))
        ),
        t.gettext("Interests: {value}").format(
            value=interest_names(t, values.get("interests") or [])
        ),
        t.gettext("Phone: {value}").format(value=html.escape(phone) if phone else "—"),
    ]


def summary_text(t: Translator, draft: dict[str, Any]) -> str:
    return "\n".join([t.gettext("<b>Please check your details</b>"), *details_lines(t, draft)])
