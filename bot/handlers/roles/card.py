"""/roles: a member's card, with her roles and the buttons to change them, and what she is told
when they change."""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.context import BotContext
from bot.i18n import Translator
from bot.keyboards import in_rows, member_status_name, region_name, region_names
from bot.services.roles import Roles, roles_of
from bot.text import shorten
from db.members import MemberInfo, get_member
from db.users import get_user

from .callbacks import (
    CARD,
    COORDINATOR,
    HOME,
    LEAD,
    MEMBER_ONLY,
    REGION_CODES,
    SAVE,
    TOGGLE,
    regions_of,
)

CARD_NAME_LIMIT = 256  # characters of a name shown on her card


def roles_text(t: Translator, roles: Roles) -> str:
    parts = []
    if roles.coordinator:
        parts.append(t.gettext("coordinator"))
    if roles.lead_regions:
        parts.append(
            t.gettext("regional lead: {regions}").format(
                regions=region_names(t, roles.lead_regions)
            )
        )
    return "; ".join(parts) if parts else t.gettext("member, no role")


@dataclass(frozen=True, slots=True)
class Target:
    """The person whose roles are looked at, as she is in the database right now."""

    user_id: int
    member: MemberInfo | None
    name: str
    roles: Roles


async def load_target(context: BotContext, user_id: int) -> Target | None:
    member = await get_member(context.db, user_id)
    roles = await roles_of(context.db, context.settings, user_id)
    if member is not None:
        return Target(user_id, member, member.name, roles)
    if not roles.privileged:
        return None
    # Not a member any more but still holding a role given from chat: it can be removed.
    user = await get_user(context.db, user_id)
    return Target(user_id, None, user.first_name if user else str(user_id), roles)


def problem_of(t: Translator, actor_id: int, target: Target, *, promoting: bool) -> str | None:
    """Why her roles cannot be changed this way, or None if they can."""
    if target.user_id == actor_id:
        return t.gettext("You cannot change your own roles.")
    if target.roles.from_settings:
        return t.gettext(
            "She is a coordinator named in the bot's settings (COORDINATOR_IDS); "
            "this cannot be changed from the chat."
        )
    if promoting and (target.member is None or target.member.status != "approved"):
        return t.gettext("Only approved members can be given a role.")
    return None


def card_view(
    t: Translator, actor_id: int, target: Target, note: str | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    member = target.member
    lines = ["👤 <b>" + html.escape(shorten(target.name, CARD_NAME_LIMIT)) + "</b>"]
    if member is not None:
        lines.append(t.gettext("Region: {value}").format(value=region_name(t, member.region)))
        lines.append(
            t.gettext("Status: {value}").format(value=member_status_name(t, member.status))
        )
    else:
        lines.append(t.gettext("Not a member of the community."))
    lines.append(t.gettext("Roles: {roles}").format(roles=roles_text(t, target.roles)))
    buttons: list[list[InlineKeyboardButton]] = []
    problem = problem_of(t, actor_id, target, promoting=True)
    uid = target.user_id
    if problem is None:
        tick = "☑" if target.roles.coordinator else "☐"
        buttons += [
            [
                InlineKeyboardButton(
                    f"{tick} " + t.gettext("Coordinator"), callback_data=COORDINATOR(uid)
                )
            ],
            [InlineKeyboardButton("🗺 " + t.gettext("Lead of regions…"), callback_data=LEAD(uid))],
        ]
    else:
        lines += ["", problem]
    if problem_of(t, actor_id, target, promoting=False) is None and (
        problem is None or target.roles.privileged
    ):
        buttons.append(
            [InlineKeyboardButton("👤 " + t.gettext("Member only"), callback_data=MEMBER_ONLY(uid))]
        )
    buttons.append(
        [InlineKeyboardButton("🔎 " + t.gettext("Find another member"), callback_data=HOME())]
    )
    if note:
        lines += ["", note]
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


def lead_picker_view(t: Translator, target: Target, mask: int) -> tuple[str, InlineKeyboardMarkup]:
    chosen = regions_of(mask) or frozenset()
    text = "🗺 " + t.gettext(
        "Regions led by <b>{name}</b>: tap a region to select or clear it, then Save."
    ).format(name=html.escape(target.name))
    uid = target.user_id
    buttons = [
        InlineKeyboardButton(
            ("☑ " if code in chosen else "☐ ") + region_name(t, code),
            callback_data=TOGGLE(uid, mask ^ (1 << i)),
        )
        for i, code in enumerate(REGION_CODES)
    ]
    rows = in_rows(buttons)
    rows.append(
        [
            InlineKeyboardButton("💾 " + t.gettext("Save"), callback_data=SAVE(uid, mask)),
            InlineKeyboardButton("◀ " + t.gettext("Back"), callback_data=CARD(uid)),
        ]
    )
    return text, InlineKeyboardMarkup(rows)


def news_text(t: Translator, roles: Roles) -> str:
    """What she now is, told to her in her language."""
    lines = []
    if roles.coordinator:
        lines.append(
            "🔑 "
            + t.gettext(
                "You are now a coordinator of the Solidarity Community: you can see all "
                "members (/members) and give roles (/roles)."
            )
        )
    if roles.lead_regions:
        lines.append(
            "🗺 "
            + t.gettext(
                "You are now a regional lead for: {regions}. With /members you see the members "
                "of your regions and approve new ones."
            ).format(regions=region_names(t, roles.lead_regions))
            + " "
            + t.gettext("With /newevent you announce a dialogue event to their members.")
        )
    if not lines:
        lines.append(
            t.gettext(
                "You no longer have a coordinator or regional lead role. "
                "You remain a member of the community."
            )
        )
    return "\n\n".join(lines)
