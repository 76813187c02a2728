"""Roles (/roles), the members desk (/members) and the command menus of privileged people.

Coordinators give and take the coordinator and regional lead roles from the chat. Coordinators
see the members of every region, regional leads those of their regions. Every command and
button checks the role again on the server, including the region and page a button carries:
buttons can be forged by a modified client.
"""

from __future__ import annotations

import csv
import html
import io
import logging
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Update,
)
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext
from bot.conversation import persistent_conversation
from bot.i18n import DEFAULT_LANGUAGE, N_, Translator, get_translator, resolve_language
from bot.keyboards import in_rows, region_name, region_rows
from bot.menu import refresh_commands
from bot.replies import edit_or_send, refuse, require_coordinator
from bot.services.community import OCCUPATIONS, REGIONS
from bot.services.roles import Roles, roles_of
from db.audit import audit
from db.members import MemberInfo, count_members, find_members, get_member, list_members
from db.roles import set_grants
from db.users import UserInfo, get_user, set_blocked

log = logging.getLogger(__name__)

SEARCHING = 1
MAX_RESULTS = 20  # members shown as buttons after a search
PAGE_SIZE = 10  # members per page of the members desk
NAME_LIMIT = 40  # characters of a name shown on a button or in a list line
CARD_NAME_LIMIT = 256  # characters of a name shown on her card
QUERY_LIMIT = 64  # characters of a typed search that are used

# Bit i of a region mask in callback data stands for REGION_CODES[i].
REGION_CODES: tuple[str, ...] = tuple(REGIONS)
_REGION_RE = "|".join(REGION_CODES)
_UID = r"(\d{1,20})"

ROLES_HOME = "roles:home"
ROLES_HOME_PATTERN = rf"^{ROLES_HOME}$"
ROLES_REGION_PATTERN = rf"^roles:reg:({_REGION_RE})$"
ROLES_CARD_PATTERN = rf"^roles:m:{_UID}$"
ROLES_COORDINATOR_PATTERN = rf"^roles:c:{_UID}$"
ROLES_LEAD_PATTERN = rf"^roles:l:{_UID}$"
ROLES_TOGGLE_PATTERN = rf"^roles:t:{_UID}:(\d{{1,3}})$"
ROLES_SAVE_PATTERN = rf"^roles:s:{_UID}:(\d{{1,3}})$"
ROLES_NONE_PATTERN = rf"^roles:n:{_UID}$"

DESK = "members:desk"
DESK_PATTERN = rf"^{DESK}$"
# members:list|pend:<all or a region>:<page>; the region is checked against her roles.
PAGE_PATTERN = r"^members:(list|pend):([a-z_]{1,16}):(\d{1,4})$"
EXPORT = "members:csv"
EXPORT_PATTERN = rf"^{EXPORT}$"

STATUS_NAMES: dict[str, str] = {"approved": N_("approved"), "pending": N_("pending")}

CSV_COLUMNS = (
    "user_id",
    "name",
    "region",
    "district",
    "occupation",
    "interests",
    "phone",
    "status",
    "joined_at",
    "language",
)
_PHONE_RE = re.compile(r"\+?[\d ()-]{3,32}")


# -- small renderers ----------------------------------------------------------


def _short(text: str, limit: int = NAME_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _region_names(t: Translator, codes: Iterable[str]) -> str:
    chosen = set(codes)
    return ", ".join(region_name(t, c) for c in REGION_CODES if c in chosen)


def _status_name(t: Translator, status: str) -> str:
    return t.gettext(STATUS_NAMES[status]) if status in STATUS_NAMES else status


def _mask(regions: Iterable[str]) -> int:
    chosen = set(regions)
    return sum(1 << i for i, code in enumerate(REGION_CODES) if code in chosen)


def _regions(mask: int) -> frozenset[str] | None:
    """The regions of a mask from callback data; None if it names a region that does not exist."""
    if mask >= 1 << len(REGION_CODES):
        return None
    return frozenset(code for i, code in enumerate(REGION_CODES) if mask & (1 << i))


def _roles_text(t: Translator, roles: Roles) -> str:
    parts = []
    if roles.coordinator:
        parts.append(t.gettext("coordinator"))
    if roles.lead_regions:
        parts.append(
            t.gettext("regional lead: {regions}").format(
                regions=_region_names(t, roles.lead_regions)
            )
        )
    return "; ".join(parts) if parts else t.gettext("member, no role")


def _language_of(user: UserInfo) -> str:
    return resolve_language(user.language, user.telegram_language) or DEFAULT_LANGUAGE


# -- /roles: find a member --------------------------------------------------------


def _prompt(t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    text = (
        "👤 "
        + t.gettext("Send part of a name to find a member, or choose a region.")
        + "\n"
        + t.gettext("/cancel to stop.")
    )
    return text, InlineKeyboardMarkup(region_rows(t, "roles:reg:"))


def _results(
    t: Translator, members: list[MemberInfo], heading: str
) -> tuple[str, InlineKeyboardMarkup]:
    lines = [heading]
    if len(members) > MAX_RESULTS:
        lines.append(
            t.gettext(
                "{count} found; the first {shown} are shown. Send a longer part of the name "
                "to narrow the search."
            ).format(count=len(members), shown=MAX_RESULTS)
        )
    else:
        lines.append(t.gettext("Choose a member:"))
    buttons = [
        [
            InlineKeyboardButton(
                f"{_short(m.name)} · {region_name(t, m.region)}",
                callback_data=f"roles:m:{m.user_id}",
            )
        ]
        for m in members[:MAX_RESULTS]
    ]
    buttons.append(
        [InlineKeyboardButton("🔎 " + t.gettext("New search"), callback_data=ROLES_HOME)]
    )
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


async def ask_member(update: Update, context: BotContext) -> int:
    """/roles (or "New search"): ask for part of a name, or a region."""
    if not await require_coordinator(update, context, "/roles"):
        return ConversationHandler.END
    text, markup = _prompt(context.t)
    await edit_or_send(update, context, text, markup)
    return SEARCHING


async def find_by_name(update: Update, context: BotContext) -> int:
    """The typed part of a name: the members whose name contains it."""
    if not await require_coordinator(update, context, "/roles search"):
        return ConversationHandler.END
    message = update.effective_message
    assert message is not None and message.text is not None
    t = context.t
    needle = message.text.strip()[:QUERY_LIMIT]
    members = await find_members(context.db, needle) if needle else []
    if not members:
        await message.reply_text(
            t.gettext(
                "Nobody found for “{query}”. Send another part of the name, or /cancel."
            ).format(query=html.escape(needle))
        )
        return SEARCHING
    heading = "🔎 " + t.gettext("Members whose name contains “{query}”").format(
        query=html.escape(needle)
    )
    text, markup = _results(t, members, heading)
    await message.reply_text(text, reply_markup=markup)
    return SEARCHING if len(members) > MAX_RESULTS else ConversationHandler.END


async def pick_region(update: Update, context: BotContext) -> int:
    """A region button: its members."""
    if not await require_coordinator(update, context, "/roles region"):
        return ConversationHandler.END
    assert context.match is not None
    code = context.match.group(1)
    t = context.t
    members = await list_members(context.db, regions=[code])
    if not members:
        prompt, markup = _prompt(t)
        empty = t.gettext("No members in {region} yet.").format(region=region_name(t, code))
        await edit_or_send(update, context, empty + "\n\n" + prompt, markup)
        return SEARCHING
    heading = "📍 " + t.gettext("Members in {region}").format(region=region_name(t, code))
    text, markup = _results(t, members, heading)
    await edit_or_send(update, context, text, markup)
    return SEARCHING if len(members) > MAX_RESULTS else ConversationHandler.END


async def cancel_search(update: Update, context: BotContext) -> int:
    assert update.effective_message
    await update.effective_message.reply_text(context.t.gettext("Cancelled. Nothing was changed."))
    return ConversationHandler.END


# -- /roles: a member's card and her roles ----------------------------------------


class _Target:
    """The person whose roles are looked at, as she is in the database right now."""

    __slots__ = ("member", "name", "roles", "user_id")

    def __init__(self, user_id: int, member: MemberInfo | None, name: str, roles: Roles) -> None:
        self.user_id = user_id
        self.member = member
        self.name = name
        self.roles = roles


async def _target(context: BotContext, user_id: int) -> _Target | None:
    member = await get_member(context.db, user_id)
    roles = await roles_of(context.db, context.settings, user_id)
    if member is not None:
        return _Target(user_id, member, member.name, roles)
    if not roles.privileged:
        return None
    # Not a member any more but still holding a role given from chat: it can be removed.
    user = await get_user(context.db, user_id)
    return _Target(user_id, None, user.first_name if user else str(user_id), roles)


def _problem(t: Translator, actor_id: int, target: _Target, *, promoting: bool) -> str | None:
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


def _card(
    t: Translator, actor_id: int, target: _Target, note: str | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    member = target.member
    lines = ["👤 <b>" + html.escape(_short(target.name, CARD_NAME_LIMIT)) + "</b>"]
    if member is not None:
        lines.append(t.gettext("Region: {value}").format(value=region_name(t, member.region)))
        lines.append(t.gettext("Status: {value}").format(value=_status_name(t, member.status)))
    else:
        lines.append(t.gettext("Not a member of the community."))
    lines.append(t.gettext("Roles: {roles}").format(roles=_roles_text(t, target.roles)))
    buttons: list[list[InlineKeyboardButton]] = []
    problem = _problem(t, actor_id, target, promoting=True)
    uid = target.user_id
    if problem is None:
        tick = "☑" if target.roles.coordinator else "☐"
        buttons += [
            [
                InlineKeyboardButton(
                    f"{tick} " + t.gettext("Coordinator"), callback_data=f"roles:c:{uid}"
                )
            ],
            [
                InlineKeyboardButton(
                    "🗺 " + t.gettext("Lead of regions…"), callback_data=f"roles:l:{uid}"
                )
            ],
        ]
    else:
        lines += ["", problem]
    if _problem(t, actor_id, target, promoting=False) is None and (
        problem is None or target.roles.privileged
    ):
        buttons.append(
            [InlineKeyboardButton("👤 " + t.gettext("Member only"), callback_data=f"roles:n:{uid}")]
        )
    buttons.append(
        [InlineKeyboardButton("🔎 " + t.gettext("Find another member"), callback_data=ROLES_HOME)]
    )
    if note:
        lines += ["", note]
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


def _lead_picker(t: Translator, target: _Target, mask: int) -> tuple[str, InlineKeyboardMarkup]:
    chosen = _regions(mask) or frozenset()
    text = "🗺 " + t.gettext(
        "Regions led by <b>{name}</b>: tap a region to select or clear it, then Save."
    ).format(name=html.escape(target.name))
    uid = target.user_id
    buttons = [
        InlineKeyboardButton(
            ("☑ " if code in chosen else "☐ ") + region_name(t, code),
            callback_data=f"roles:t:{uid}:{mask ^ (1 << i)}",
        )
        for i, code in enumerate(REGION_CODES)
    ]
    rows = in_rows(buttons)
    rows.append(
        [
            InlineKeyboardButton("💾 " + t.gettext("Save"), callback_data=f"roles:s:{uid}:{mask}"),
            InlineKeyboardButton("◀ " + t.gettext("Back"), callback_data=f"roles:m:{uid}"),
        ]
    )
    return text, InlineKeyboardMarkup(rows)


def _news(t: Translator, roles: Roles) -> str:
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
            ).format(regions=_region_names(t, roles.lead_regions))
        )
    if not lines:
        lines.append(
            t.gettext(
                "You no longer have a coordinator or regional lead role. "
                "You remain a member of the community."
            )
        )
    return "\n\n".join(lines)


async def _tell(context: BotContext, user_id: int) -> bool:
    """Tell her what she now is, in her own language; False if she could not be told."""
    user = await get_user(context.db, user_id)
    if user is None or user.blocked:
        return False
    t = get_translator(_language_of(user), context.settings.timezone)
    roles = await roles_of(context.db, context.settings, user_id)
    try:
        await context.bot.send_message(user_id, _news(t, roles))
    except Forbidden:
        await set_blocked(context.db, user_id, True)
        log.info("User %s blocked the bot; not told about her roles", user_id)
        return False
    except BadRequest as exc:
        log.warning("Could not tell user %s about her roles: %s", user_id, exc.message)
        return False
    return True


async def _load(update: Update, context: BotContext, action: str) -> tuple[int, _Target] | None:
    """Coordinator check, then the target named in the button; None if refused or gone."""
    if not await require_coordinator(update, context, action):
        return None
    assert context.match is not None and update.effective_user is not None
    uid = int(context.match.group(1))
    target = await _target(context, uid)
    if target is None:
        await refuse(update, context.t.gettext("She is not a member."))
        return None
    return update.effective_user.id, target


async def _refused(update: Update, actor_id: int, target: _Target, problem: str) -> None:
    log.warning("Refused role change of %s to %s: %s", target.user_id, actor_id, problem)
    await refuse(update, problem)


async def _apply(
    update: Update,
    context: BotContext,
    actor_id: int,
    target: _Target,
    *,
    coordinator: bool,
    lead_regions: frozenset[str],
) -> None:
    """Save her new roles (audited), show the card, tell her, refresh her command menu."""
    t = context.t
    uid = target.user_id
    if coordinator == target.roles.coordinator and lead_regions == target.roles.lead_regions:
        text, markup = _card(t, actor_id, target)
        await edit_or_send(update, context, text, markup, notice=t.gettext("Nothing changed."))
        return
    await set_grants(
        context.db, uid, coordinator=coordinator, lead_regions=lead_regions, actor_id=actor_id
    )
    log.info("Roles of user %s changed by %s", uid, actor_id)
    told = await _tell(context, uid)
    await refresh_commands(context.app, uid)
    if told:
        note = "✅ " + t.gettext("Saved. She has been told.")
    else:
        note = "✅ " + t.gettext("Saved, but she could not be told: she may have blocked the bot.")
    fresh = await _target(context, uid)
    assert fresh is not None
    text, markup = _card(t, actor_id, fresh, note=note)
    await edit_or_send(update, context, text, markup, notice=t.gettext("Saved."))


async def show_card(update: Update, context: BotContext) -> None:
    """A member's card: who she is, her roles, and buttons to change them."""
    loaded = await _load(update, context, "/roles card")
    if loaded is None:
        return
    actor_id, target = loaded
    text, markup = _card(context.t, actor_id, target)
    await edit_or_send(update, context, text, markup)


async def toggle_coordinator(update: Update, context: BotContext) -> None:
    """Make her a coordinator, or take the role back."""
    loaded = await _load(update, context, "/roles coordinator")
    if loaded is None:
        return
    actor_id, target = loaded
    promote = not target.roles.coordinator
    problem = _problem(context.t, actor_id, target, promoting=promote)
    if problem is not None:
        await _refused(update, actor_id, target, problem)
        return
    await _apply(
        update,
        context,
        actor_id,
        target,
        coordinator=promote,
        lead_regions=target.roles.lead_regions,
    )


async def pick_lead_regions(update: Update, context: BotContext) -> None:
    """The regions she leads, as toggles (the selection travels in the buttons), and Save."""
    loaded = await _load(update, context, "/roles lead")
    if loaded is None:
        return
    actor_id, target = loaded
    assert context.match is not None
    problem = _problem(context.t, actor_id, target, promoting=True)
    if problem is not None:
        await _refused(update, actor_id, target, problem)
        return
    groups = context.match.groups()
    mask = int(groups[1]) if len(groups) > 1 else _mask(target.roles.lead_regions)
    if _regions(mask) is None:
        await refuse(
            update,
            context.t.gettext("This button is no longer active. Send /start to open the menu."),
        )
        return
    text, markup = _lead_picker(context.t, target, mask)
    await edit_or_send(update, context, text, markup)


async def save_lead_regions(update: Update, context: BotContext) -> None:
    """Save the selected regions as the ones she leads."""
    loaded = await _load(update, context, "/roles save lead")
    if loaded is None:
        return
    actor_id, target = loaded
    assert context.match is not None
    regions = _regions(int(context.match.group(2)))
    if regions is None:
        await refuse(
            update,
            context.t.gettext("This button is no longer active. Send /start to open the menu."),
        )
        return
    promoting = bool(regions - target.roles.lead_regions)
    problem = _problem(context.t, actor_id, target, promoting=promoting)
    if problem is not None:
        await _refused(update, actor_id, target, problem)
        return
    await _apply(
        update,
        context,
        actor_id,
        target,
        coordinator=target.roles.coordinator,
        lead_regions=regions,
    )


async def remove_roles(update: Update, context: BotContext) -> None:
    """ "Member only": take away every role given in chat."""
    loaded = await _load(update, context, "/roles member only")
    if loaded is None:
        return
    actor_id, target = loaded
    problem = _problem(context.t, actor_id, target, promoting=False)
    if problem is not None:
        await _refused(update, actor_id, target, problem)
        return
    await _apply(update, context, actor_id, target, coordinator=False, lead_regions=frozenset())


# -- /members: the members desk -----------------------------------------------------


async def _desk_roles(update: Update, context: BotContext, action: str) -> Roles | None:
    """Coordinators and regional leads; anyone else is told so, and the attempt is logged."""
    user = update.effective_user
    roles = await roles_of(context.db, context.settings, user.id) if user else None
    if roles is not None and roles.privileged:
        return roles
    log.warning("Refused %s to user %s (no role)", action, user.id if user else None)
    await refuse(update, context.t.gettext("This is only for coordinators and regional leads."))
    return None


def _visible(roles: Roles) -> list[str]:
    regions = roles.visible_regions()
    return [c for c in REGION_CODES if regions is None or c in regions]


async def show_desk(update: Update, context: BotContext) -> None:
    """/members: how many members per region and status, and what she can do."""
    roles = await _desk_roles(update, context, "/members")
    if roles is None:
        return
    t = context.t
    visible = _visible(roles)
    counts = await count_members(context.db, regions=roles.visible_regions())
    lines = ["👥 <b>" + t.gettext("Members") + "</b>"]
    if roles.coordinator:
        lines.append(t.gettext("All regions."))
    else:
        lines.append(t.gettext("Your regions: {regions}").format(regions=_region_names(t, visible)))
    lines.append("")
    line = N_("{region}: approved {approved}, pending {pending}")
    for code in visible:
        lines.append(
            t.gettext(line).format(
                region=region_name(t, code),
                approved=counts.get((code, "approved"), 0),
                pending=counts.get((code, "pending"), 0),
            )
        )
    approved = sum(n for (code, status), n in counts.items() if status == "approved")
    pending = sum(n for (code, status), n in counts.items() if status == "pending")
    lines.append(
        t.gettext(line).format(
            region="<b>" + t.gettext("Total") + "</b>", approved=approved, pending=pending
        )
    )
    buttons = [
        [
            InlineKeyboardButton(
                "⏳ " + t.gettext("Pending approvals ({count})").format(count=pending),
                callback_data="members:pend:all:0",
            )
        ],
        [InlineKeyboardButton("📋 " + t.gettext("List"), callback_data="members:list:all:0")],
    ]
    with_members = [
        c for c in visible if counts.get((c, "approved"), 0) + counts.get((c, "pending"), 0)
    ]
    if len(visible) > 1 and with_members:
        buttons += in_rows(
            [
                InlineKeyboardButton("📍 " + region_name(t, c), callback_data=f"members:list:{c}:0")
                for c in with_members
            ]
        )
    if roles.coordinator:
        buttons.append([InlineKeyboardButton("⬇️ " + t.gettext("Export CSV"), callback_data=EXPORT)])
    await edit_or_send(update, context, "\n".join(lines), InlineKeyboardMarkup(buttons))


async def _scope_regions(
    update: Update, context: BotContext, roles: Roles, scope: str
) -> list[str] | None:
    """The regions a button's scope stands for ("all" = all she may see); None if refused."""
    if scope == "all":
        return _visible(roles)
    if scope in REGIONS and roles.can_manage_region(scope):
        return [scope]
    user = update.effective_user
    log.warning(
        "Refused members of region %r to user %s (not hers)", scope, user.id if user else None
    )
    await refuse(update, context.t.gettext("You cannot see the members of this region."))
    return None


def _member_line(t: Translator, number: int, member: MemberInfo, *, pending: bool) -> str:
    name = "<b>" + html.escape(_short(member.name)) + "</b>"
    details = [region_name(t, member.region)]
    if pending:
        if member.district:
            details.append(html.escape(_short(member.district)))
        occupation = OCCUPATIONS.get(member.occupation)
        details.append(t.gettext(occupation) if occupation else member.occupation)
        details.append(
            t.gettext("applied {date}").format(date=t.format_date(member.joined_at, "medium"))
        )
    else:
        details.append(_status_name(t, member.status))
        details.append(
            t.gettext("joined {date}").format(date=t.format_date(member.joined_at, "medium"))
        )
    return f"{number}. {name} — " + " · ".join(details)


async def show_page(update: Update, context: BotContext) -> None:
    """A page of the members list, or of those waiting for approval (with Approve / Decline)."""
    roles = await _desk_roles(update, context, "/members page")
    if roles is None:
        return
    assert context.match is not None
    kind, scope, raw_page = context.match.groups()
    regions = await _scope_regions(update, context, roles, scope)
    if regions is None:
        return
    t = context.t
    pending = kind == "pend"
    members = await list_members(context.db, regions=regions, status="pending" if pending else None)
    pages = max(1, -(-len(members) // PAGE_SIZE))
    page = min(int(raw_page), pages - 1)
    chunk = members[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    title = t.gettext("Pending approvals") if pending else t.gettext("Members")
    where = t.gettext("all regions") if scope == "all" and roles.coordinator else None
    if where is None:
        where = _region_names(t, regions)
    head = ("⏳ " if pending else "📋 ") + f"<b>{title}</b> · {where}"
    if pages > 1:
        head += " · " + t.gettext("page {page} of {pages}").format(page=page + 1, pages=pages)
    lines = [head, ""]
    buttons: list[list[InlineKeyboardButton]] = []
    if not chunk:
        lines.append(
            t.gettext("Nobody is waiting for approval.")
            if pending
            else t.gettext("No members yet.")
        )
    for offset, member in enumerate(chunk):
        number = page * PAGE_SIZE + offset + 1
        lines.append(_member_line(t, number, member, pending=pending))
        if pending:
            buttons.append(
                [
                    InlineKeyboardButton(
                        "✅ " + t.gettext("Approve {number}").format(number=number),
                        callback_data=f"mem:approve:{member.user_id}",
                    ),
                    InlineKeyboardButton(
                        "✖ " + t.gettext("Decline {number}").format(number=number),
                        callback_data=f"mem:decline:{member.user_id}",
                    ),
                ]
            )
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton("◀", callback_data=f"members:{kind}:{scope}:{page - 1}"))
    if page < pages - 1:
        nav.append(InlineKeyboardButton("▶", callback_data=f"members:{kind}:{scope}:{page + 1}"))
    if nav:
        buttons.append(nav)
    buttons.append([InlineKeyboardButton("👥 " + t.gettext("Members desk"), callback_data=DESK)])
    await edit_or_send(update, context, "\n".join(lines), InlineKeyboardMarkup(buttons))


def _cell(value: str | None) -> str:
    """A text cell that a spreadsheet will not run as a formula."""
    if not value:
        return ""
    return "'" + value if value[0] in "=+-@\t\r" else value


def _phone_cell(value: str | None) -> str:
    return value if value and _PHONE_RE.fullmatch(value) else _cell(value)


def members_csv(members: Sequence[MemberInfo], tz: tzinfo) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel shows Cyrillic names correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for m in members:
        joined = m.joined_at.astimezone(tz)
        writer.writerow(
            [
                m.user_id,
                _cell(m.name),
                m.region,
                _cell(m.district),
                m.occupation,
                ";".join(m.interests),
                _phone_cell(m.phone),
                m.status,
                joined.isoformat(timespec="seconds"),
                m.language or "",
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


async def export_members(update: Update, context: BotContext) -> None:
    """Coordinators only: every member as a CSV file. The export is audited (count only)."""
    if not await require_coordinator(update, context, "members export"):
        return
    query = update.callback_query
    assert query is not None and update.effective_user and update.effective_chat
    await query.answer()
    members = await list_members(context.db)
    data = members_csv(members, context.settings.tz)
    user_id = update.effective_user.id
    # Recorded before the file leaves: an export that may have happened is never missing.
    await audit(context.db, "members.exported", actor_id=user_id, count=len(members))
    log.info("Members exported by %s (%s rows)", user_id, len(members))
    stamp = datetime.now(context.settings.tz).strftime("%Y-%m-%d")
    await context.bot.send_document(
        update.effective_chat.id,
        InputFile(data, filename=f"members-{stamp}.csv"),
        caption="⚠️ "
        + context.t.gettext(
            "Members: {count}. This file holds personal data, phone numbers included: keep it "
            "safe and delete it when you no longer need it."
        ).format(count=len(members)),
    )


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    search = persistent_conversation(
        "roles",
        entry_points=[
            CommandHandler("roles", ask_member),
            CallbackQueryHandler(ask_member, pattern=ROLES_HOME_PATTERN),
            CallbackQueryHandler(pick_region, pattern=ROLES_REGION_PATTERN),
        ],
        states={SEARCHING: [MessageHandler(filters.TEXT & ~filters.COMMAND, find_by_name)]},
        fallbacks=[CommandHandler("cancel", cancel_search)],
    )
    return [
        search,
        CallbackQueryHandler(show_card, pattern=ROLES_CARD_PATTERN),
        CallbackQueryHandler(toggle_coordinator, pattern=ROLES_COORDINATOR_PATTERN),
        CallbackQueryHandler(pick_lead_regions, pattern=ROLES_LEAD_PATTERN),
        CallbackQueryHandler(pick_lead_regions, pattern=ROLES_TOGGLE_PATTERN),
        CallbackQueryHandler(save_lead_regions, pattern=ROLES_SAVE_PATTERN),
        CallbackQueryHandler(remove_roles, pattern=ROLES_NONE_PATTERN),
        CommandHandler("members", show_desk),
        CallbackQueryHandler(show_desk, pattern=DESK_PATTERN),
        CallbackQueryHandler(show_page, pattern=PAGE_PATTERN),
        CallbackQueryHandler(export_members, pattern=EXPORT_PATTERN),
    ]
