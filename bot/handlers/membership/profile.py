"""Her profile (/profile): what is kept, changing it one question at a time, which events and
announcements she hears of; and leaving the community (/leave), which erases her details."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import JOIN_START, MENU_LANGUAGE, Callback, choice
from bot.context import BotContext
from bot.delivery import EVENT, Recipient, Rendered, renderer
from bot.forms import Form, Turn
from bot.handlers.membership.steps import PROFILE_STEPS, details_lines
from bot.i18n import LANGUAGE_NAMES, Translator
from bot.keyboards import in_rows, region_names
from bot.menu import main_menu, refresh_commands
from bot.notify import to_each
from bot.replies import edit_or_send
from bot.services.community import NOTIFY_EVENTS
from bot.services.events import SEATS
from bot.services.roles import all_coordinators
from db.event_answers import forget_answers
from db.members import MemberInfo, erase_member, get_member, update_member
from db.outbox import Outgoing
from db.roles import grants_of, leads_of

EDIT = Callback("prof:edit", choice(step.name for step in PROFILE_STEPS))
EVENTS = Callback("prof:events")
ANNOUNCEMENTS = Callback("prof:ann")
LEAVE = Callback("leave", choice(["ask", "yes", "no"]))


def profile_text(t: Translator, member: MemberInfo) -> str:
    events = {
        "region": t.gettext("in my region"),
        "all": t.gettext("in all regions"),
        "none": t.gettext("turned off"),
    }[member.notify_events]
    status = (
        t.gettext("member") if member.status == "approved" else t.gettext("waiting for approval")
    )
    values = {
        "name": member.name,
        "region": member.region,
        "district": member.district,
        "occupation": member.occupation,
        "interests": list(member.interests),
        "phone": member.phone,
    }
    return "\n".join(
        [
            t.gettext("<b>Your profile</b>"),
            t.gettext("Status: {value}").format(value=status),
            *details_lines(t, values),
            "",
            t.gettext("Event notifications: {value}").format(value=events),
            t.gettext("Announcements: {value}").format(
                value=t.gettext("on") if member.notify_announcements else t.gettext("off")
            ),
            t.gettext("Language: {language}").format(language=LANGUAGE_NAMES[t.lang]),
        ]
    )


def profile_keyboard(t: Translator, member: MemberInfo) -> InlineKeyboardMarkup:
    rows = in_rows(
        [
            InlineKeyboardButton("✏️ " + t.gettext(step.label or ""), callback_data=EDIT(step.name))
            for step in PROFILE_STEPS
        ]
    )
    rows += [
        [InlineKeyboardButton("🔔 " + t.gettext("Events to notify"), callback_data=EVENTS())],
        [
            InlineKeyboardButton(
                "📣 "
                + (
                    t.gettext("Turn announcements off")
                    if member.notify_announcements
                    else t.gettext("Turn announcements on")
                ),
                callback_data=ANNOUNCEMENTS(),
            )
        ],
        [InlineKeyboardButton("🌐 " + t.gettext("Language"), callback_data=MENU_LANGUAGE())],
        [
            InlineKeyboardButton(
                "🚪 " + t.gettext("Leave the community"), callback_data=LEAVE("ask")
            )
        ],
    ]
    return InlineKeyboardMarkup(rows)


async def show_profile(update: Update, context: BotContext) -> None:
    """/profile: what we keep about her, and buttons to change it."""
    assert update.effective_user
    t = context.t
    member = await get_member(context.db, update.effective_user.id)
    if member is None:
        await edit_or_send(
            update,
            context,
            t.gettext("You are not a member of the community yet."),
            InlineKeyboardMarkup(
                [[InlineKeyboardButton("🤝 " + t.gettext("Join"), callback_data=JOIN_START())]]
            ),
        )
        return
    await edit_or_send(update, context, profile_text(t, member), profile_keyboard(t, member))


# -- changing one answer: a one-question form on the questions of /join ------------------------


async def is_member(turn: Turn) -> bool:
    if await get_member(turn.context.db, turn.user_id) is not None:
        return True
    await show_profile(turn.update, turn.context)
    return False


async def prefill(turn: Turn) -> None:
    member = await get_member(turn.context.db, turn.user_id)
    assert member is not None
    turn.draft["interests"] = list(member.interests)


async def save_field(turn: Turn) -> bool:
    """The answer is saved at once; she sees her profile again."""
    draft, db, user_id = turn.draft, turn.context.db, turn.user_id
    field = draft["_at"]
    if field == "district":
        await update_member(db, user_id, district=draft.get("district"), clear_district=True)
    elif field == "phone":
        await update_member(db, user_id, phone=draft.get("phone"), clear_phone=True)
    elif field == "interests":
        await update_member(db, user_id, interests=tuple(draft["interests"]))
    else:
        await update_member(db, user_id, **{field: draft[field]})
    member = await get_member(db, user_id)
    assert member is not None
    t = turn.t
    await turn.say(t.gettext("Saved."))
    await turn.say(profile_text(t, member), profile_keyboard(t, member))
    return True


async def back_to_profile(turn: Turn) -> None:
    member = await get_member(turn.context.db, turn.user_id)
    t = turn.t
    if member is not None:
        await turn.say(profile_text(t, member), profile_keyboard(t, member))


PROFILE = Form(
    "profile",
    "p",
    PROFILE_STEPS,
    command=None,
    submit=save_field,
    before=is_member,
    prefill=prefill,
    single=True,
    leave=back_to_profile,
)


async def edit_field(update: Update, context: BotContext) -> object:
    """✏️ in the profile: that one question, saved at once."""
    (field,) = EDIT.values(context.match)
    return await PROFILE.start(update, context, at=field)


# -- notifications ------------------------------------------------------------------------------


async def cycle_events(update: Update, context: BotContext) -> None:
    """🔔: events in my region → in all regions → none."""
    assert update.effective_user
    member = await get_member(context.db, update.effective_user.id)
    if member is not None:
        following = NOTIFY_EVENTS[(NOTIFY_EVENTS.index(member.notify_events) + 1) % 3]
        await update_member(context.db, member.user_id, notify_events=following)
    await show_profile(update, context)


async def toggle_announcements(update: Update, context: BotContext) -> None:
    assert update.effective_user
    member = await get_member(context.db, update.effective_user.id)
    if member is not None:
        await update_member(
            context.db, member.user_id, notify_announcements=not member.notify_announcements
        )
    await show_profile(update, context)


# -- leaving ------------------------------------------------------------------------------------


async def ask_leave(update: Update, context: BotContext) -> None:
    """/leave: confirm before erasing; a regional lead or coordinator hears that her role ends
    too."""
    assert update.effective_user
    t = context.t
    if await get_member(context.db, update.effective_user.id) is None:
        await edit_or_send(
            update, context, t.gettext("You are not a member of the community."), None
        )
        return
    text = t.gettext(
        "Leave the community? Your name, phone, district and interests will be erased now, "
        "and your membership ends. Incident reports you sent are not affected."
    )
    coordinator, regions = await grants_of(context.db, update.effective_user.id)
    if regions:
        text += "\n\n⚠️ " + t.gettext(
            "You are the regional lead of {regions}: leaving ends that role too, and the "
            "coordinators are told that the region has no lead."
        ).format(regions=region_names(t, regions))
    if coordinator:
        text += "\n\n⚠️ " + t.gettext("You are a coordinator: leaving ends that role too.")
    await edit_or_send(
        update,
        context,
        text,
        InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        "🗑 " + t.gettext("Yes, erase my data"), callback_data=LEAVE("yes")
                    )
                ],
                [InlineKeyboardButton(t.gettext("No, stay"), callback_data=LEAVE("no"))],
            ]
        ),
    )


async def confirm_leave(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and update.effective_user
    (answer,) = LEAVE.values(context.match)
    if answer == "ask":
        await ask_leave(update, context)
        return
    t = context.t
    user_id = update.effective_user.id
    if answer == "no":
        text, markup = await main_menu(context, user_id)
        await edit_or_send(update, context, text, markup)
        return
    coordinator, regions = await grants_of(context.db, user_id)
    # The regions she led that nobody else leads: the coordinators are told, with the erasure.
    leaderless = [r for r in sorted(regions) if not (await leads_of(context.db, r)) - {user_id}]
    told: list[Outgoing] = []
    if leaderless:
        coordinators = await all_coordinators(context.db, context.settings) - {user_id}
        told = to_each(coordinators, "region.no_lead", {"regions": leaderless})
    # Her answers to events (a place she held goes to the first waiting), then her membership,
    # roles, name and the audit entries about her (db/members.py).
    await forget_answers(
        context.db,
        user_id,
        seats=SEATS,
        moved_up=lambda event_id, people: to_each(
            people, "event.moved_up", {"event": event_id}, priority=EVENT
        ),
    )
    erased = await erase_member(context.db, user_id, actor_id=user_id, outbox=told)
    context.app.wake_sender()
    if coordinator or regions:
        await refresh_commands(context.application, user_id)  # back to the public menu
    if context.user_data is not None:
        context.user_data.clear()  # her persisted conversation data: drafts, lists, all of it
    text = (
        t.gettext("Your data has been erased. You can join again at any time with /join.")
        if erased
        else t.gettext("You are not a member of the community.")
    )
    await edit_or_send(update, context, text, None)


@renderer("region.no_lead")
async def render_no_lead(r: Recipient) -> Rendered:
    """The coordinators hear that a region lost its only lead (she left the community)."""
    t = r.t
    regions = region_names(t, r.params.get("regions", []))
    text = t.gettext(
        "The regional lead of {regions} left the community; the region has no lead now. "
        "/roles makes another member its lead."
    ).format(regions=regions)
    return Rendered("⚠️ " + text)


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        *PROFILE.handlers(entries=[CallbackQueryHandler(edit_field, pattern=EDIT.pattern)]),
        CommandHandler("profile", show_profile),
        CallbackQueryHandler(cycle_events, pattern=EVENTS.pattern),
        CallbackQueryHandler(toggle_announcements, pattern=ANNOUNCEMENTS.pattern),
        CommandHandler("leave", ask_leave),
        CallbackQueryHandler(confirm_leave, pattern=LEAVE.pattern),
    ]
