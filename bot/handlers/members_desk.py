"""/members: the members desk. Coordinators see every region, regional leads theirs: counts by
region and status, the list in pages, pending requests with Approve / Decline (handled by the
membership feature), and (coordinators only) a CSV export. Every command and button checks the
role again on the server, including the region and page a button carries."""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import DECIDE_MEMBER, MEMBERS_DESK, MEMBERS_PAGE, Callback
from bot.context import BotContext
from bot.i18n import LANGUAGE_NAMES, N_, Translator, export_datetime
from bot.keyboards import in_rows, member_status_name, region_name, region_names
from bot.replies import edit_or_send, refuse, require_coordinator
from bot.services.community import INTERESTS, OCCUPATIONS, REGIONS
from bot.services.csv_export import csv_file, phone
from bot.services.roles import Roles, roles_of
from bot.text import shorten
from db.audit import audit
from db.members import MemberInfo, MemberPage, count_members, list_members, members_page

log = logging.getLogger(__name__)

PAGE_SIZE = 10  # members per page
NAME_LIMIT = 40  # characters of a name or district shown in a list line
ALL = "all"  # the scope of a page: all the regions she may see

DESK = MEMBERS_DESK
# A page of the list or of the pending requests, of all her regions or one. The scope is any
# code, checked against her roles when pressed (a forged one is refused, and logged).
LIST_PAGE = MEMBERS_PAGE
EXPORT = Callback("members:csv")

# Column names (msgids): the file is in the language of the coordinator who asks for it.
CSV_COLUMNS = (
    N_("Telegram id"),
    N_("Name"),
    N_("Region"),
    N_("District, town or village"),
    N_("Who she is"),
    N_("Interests"),
    N_("Phone"),
    N_("Status"),
    N_("Joined"),
    N_("Language"),
)


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
    return [c for c in REGIONS if regions is None or c in regions]


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
        lines.append(t.gettext("Your regions: {regions}").format(regions=region_names(t, visible)))
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
                callback_data=LIST_PAGE("pend", ALL, 0),
            )
        ],
        [InlineKeyboardButton("📋 " + t.gettext("List"), callback_data=LIST_PAGE("list", ALL, 0))],
    ]
    with_members = [
        c for c in visible if counts.get((c, "approved"), 0) + counts.get((c, "pending"), 0)
    ]
    if len(visible) > 1 and with_members:
        buttons += in_rows(
            [
                InlineKeyboardButton(
                    "📍 " + region_name(t, c), callback_data=LIST_PAGE("list", c, 0)
                )
                for c in with_members
            ]
        )
    if roles.coordinator:
        buttons.append(
            [InlineKeyboardButton("⬇️ " + t.gettext("Export CSV"), callback_data=EXPORT())]
        )
    await edit_or_send(update, context, "\n".join(lines), InlineKeyboardMarkup(buttons))


async def _scope_regions(
    update: Update, context: BotContext, roles: Roles, scope: str
) -> list[str] | None:
    """The regions a button's scope stands for (ALL = all she may see); None if refused."""
    if scope == ALL:
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
    name = "<b>" + html.escape(shorten(member.name, NAME_LIMIT)) + "</b>"
    details = [region_name(t, member.region)]
    if pending:
        if member.district:
            details.append(html.escape(shorten(member.district, NAME_LIMIT)))
        occupation = OCCUPATIONS.get(member.occupation)
        details.append(t.gettext(occupation) if occupation else member.occupation)
        details.append(
            t.gettext("applied {date}").format(date=t.format_date(member.joined_at, "medium"))
        )
    else:
        details.append(member_status_name(t, member.status))
        details.append(
            t.gettext("joined {date}").format(date=t.format_date(member.joined_at, "medium"))
        )
    return f"{number}. {name} — " + " · ".join(details)


async def show_page(update: Update, context: BotContext) -> None:
    """A page of the members list, or of those waiting for approval (with Approve / Decline)."""
    roles = await _desk_roles(update, context, "/members page")
    if roles is None:
        return
    kind, scope, wanted_page = LIST_PAGE.values(context.match)
    regions = await _scope_regions(update, context, roles, scope)
    if regions is None:
        return
    t = context.t
    pending = kind == "pend"
    status = "pending" if pending else None
    # A coordinator's "all regions" is no filter at all: the database then reads the page in
    # the order of its index instead of sorting every member of nine regions (12 ms → 1.5 ms
    # at 10,000 members).
    wanted = None if scope == ALL and roles.visible_regions() is None else regions

    async def page_of(number: int) -> MemberPage:
        return await members_page(
            context.db, regions=wanted, status=status, offset=number * PAGE_SIZE, limit=PAGE_SIZE
        )

    found = await page_of(wanted_page)
    pages = max(1, -(-found.total // PAGE_SIZE))
    page = min(wanted_page, pages - 1)
    if page != wanted_page:  # the list got shorter since the button was made
        found = await page_of(page)
    chunk = found.members
    title = t.gettext("Pending approvals") if pending else t.gettext("Members")
    where = t.gettext("all regions") if scope == ALL and roles.coordinator else None
    if where is None:
        where = region_names(t, regions)
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
            # Side by side when both fit a phone's width (the approvals feature handles them).
            buttons += in_rows(
                [
                    InlineKeyboardButton(
                        "✅ " + t.gettext("Approve {number}").format(number=number),
                        callback_data=DECIDE_MEMBER("approve", member.user_id),
                    ),
                    InlineKeyboardButton(
                        "✖ " + t.gettext("Decline {number}").format(number=number),
                        callback_data=DECIDE_MEMBER("decline", member.user_id),
                    ),
                ]
            )
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton("◀", callback_data=LIST_PAGE(kind, scope, page - 1)))
    if page < pages - 1:
        nav.append(InlineKeyboardButton("▶", callback_data=LIST_PAGE(kind, scope, page + 1)))
    if nav:
        buttons.append(nav)
    buttons.append([InlineKeyboardButton("👥 " + t.gettext("Members desk"), callback_data=DESK())])
    await edit_or_send(update, context, "\n".join(lines), InlineKeyboardMarkup(buttons))


def members_csv(t: Translator, members: Sequence[MemberInfo], tz: tzinfo) -> bytes:
    """Every member, with names of regions, occupations, interests and statuses in the
    reader's language (bot/services/csv_export.py writes phones and dates one way)."""
    return csv_file(
        [t.gettext(column) for column in CSV_COLUMNS],
        (
            [
                m.user_id,
                m.name,
                region_name(t, m.region),
                m.district,
                t.gettext(OCCUPATIONS[m.occupation]) if m.occupation in OCCUPATIONS else None,
                "; ".join(t.gettext(INTERESTS[i]) for i in m.interests if i in INTERESTS),
                phone(m.phone),
                member_status_name(t, m.status),
                export_datetime(m.joined_at, tz),
                LANGUAGE_NAMES.get(m.language or "", m.language),
            ]
            for m in members
        ),
    )


async def export_members(update: Update, context: BotContext) -> None:
    """Coordinators only: every member as a CSV file. The export is audited (count only)."""
    if not await require_coordinator(update, context, "members export"):
        return
    query = update.callback_query
    assert query is not None and update.effective_user and update.effective_chat
    await query.answer()
    members = await list_members(context.db)
    data = await asyncio.to_thread(members_csv, context.t, members, context.settings.tz)
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
    return [
        CommandHandler("members", show_desk),
        CallbackQueryHandler(show_desk, pattern=DESK.pattern),
        CallbackQueryHandler(show_page, pattern=LIST_PAGE.pattern),
        CallbackQueryHandler(export_members, pattern=EXPORT.pattern),
    ]
