"""Joining the solidarity community (/join), the profile (/profile), leaving (/leave), and the
approval of new members by coordinators and regional leads."""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    MaybeInaccessibleMessage,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
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
from bot.i18n import LANGUAGE_NAMES, Translator
from bot.keyboards import in_rows, nav_row, region_name, region_rows
from bot.menu import main_menu_keyboard, main_menu_text, refresh_commands
from bot.notify import notify_each
from bot.replies import edit_or_send, message_html, replace_buttons
from bot.services.community import INTERESTS, NOTIFY_EVENTS, OCCUPATIONS, REGIONS
from bot.services.roles import approvers_for, roles_of
from db.members import (
    MemberDraft,
    MemberInfo,
    create_member,
    decide,
    erase_member,
    get_member,
    update_member,
)
from db.roles import grants_of, set_grants

log = logging.getLogger(__name__)

(
    ASK_NAME,
    ASK_REGION,
    ASK_DISTRICT,
    ASK_OCCUPATION,
    ASK_INTERESTS,
    ASK_PHONE,
    ASK_CONSENT,
    SUMMARY,
) = range(10, 18)
STEPS = (ASK_NAME, ASK_REGION, ASK_DISTRICT, ASK_OCCUPATION, ASK_INTERESTS, ASK_PHONE, ASK_CONSENT)
FIELDS = {
    "name": ASK_NAME,
    "region": ASK_REGION,
    "district": ASK_DISTRICT,
    "occupation": ASK_OCCUPATION,
    "interests": ASK_INTERESTS,
    "phone": ASK_PHONE,
}
DRAFT = "join"
NAME_MIN, NAME_MAX, DISTRICT_MAX = 2, 100, 100


# -- the draft, kept in user_data (persisted, encrypted) ------------------------------------


def _draft(context: BotContext) -> dict[str, Any]:
    assert context.user_data is not None
    draft: dict[str, Any] = context.user_data.setdefault(DRAFT, {"mode": "signup"})
    return draft


def _drop_draft(context: BotContext) -> None:
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)


def _nav_row(t: Translator, back: bool = True) -> list[InlineKeyboardButton]:
    return nav_row(t, "join", back=back)


def _occupation_name(t: Translator, code: str | None) -> str:
    return t.gettext(OCCUPATIONS[code]) if code in OCCUPATIONS else "—"


def _interest_names(t: Translator, codes: list[str] | tuple[str, ...]) -> str:
    return ", ".join(t.gettext(INTERESTS[c]) for c in codes if c in INTERESTS) or "—"


async def _say(update: Update, context: BotContext, text: str, markup: Any = None) -> None:
    """A new message in her chat (questions are always new messages, answers stay visible)."""
    assert update.effective_chat
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)


# -- the questions --------------------------------------------------------------------------


async def ask_name(update: Update, context: BotContext) -> int:
    _draft(context)["state"] = ASK_NAME
    t = context.t
    current = _draft(context).get("name")
    text = t.gettext("<b>Your full name</b>\nHow should the community know you? (2–100 characters)")
    if current:
        text += "\n" + t.gettext("Now: {value}").format(value=html.escape(current))
    await _say(update, context, text, InlineKeyboardMarkup([_nav_row(t, back=False)]))
    return ASK_NAME


async def ask_region(update: Update, context: BotContext) -> int:
    _draft(context)["state"] = ASK_REGION
    t = context.t
    rows = [*region_rows(t, "join:region:"), _nav_row(t)]
    await _say(update, context, t.gettext("<b>Your region</b>"), InlineKeyboardMarkup(rows))
    return ASK_REGION


async def ask_district(update: Update, context: BotContext) -> int:
    _draft(context)["state"] = ASK_DISTRICT
    t = context.t
    rows = [
        [InlineKeyboardButton("⏭ " + t.gettext("Skip"), callback_data="join:skip")],
        _nav_row(t),
    ]
    await _say(
        update,
        context,
        t.gettext("<b>Your district, town or village</b>\nType it, or skip this question."),
        InlineKeyboardMarkup(rows),
    )
    return ASK_DISTRICT


async def ask_occupation(update: Update, context: BotContext) -> int:
    _draft(context)["state"] = ASK_OCCUPATION
    t = context.t
    rows = [
        [InlineKeyboardButton(t.gettext(label), callback_data=f"join:occ:{code}")]
        for code, label in OCCUPATIONS.items()
    ]
    rows.append(_nav_row(t))
    await _say(update, context, t.gettext("<b>Who are you?</b>"), InlineKeyboardMarkup(rows))
    return ASK_OCCUPATION


def _interests_keyboard(t: Translator, chosen: list[str]) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                ("✅ " if code in chosen else "▫️ ") + t.gettext(label),
                callback_data=f"join:int:{code}",
            )
        ]
        for code, label in INTERESTS.items()
    ]
    rows.append([InlineKeyboardButton("✔ " + t.gettext("Done"), callback_data="join:int:done")])
    rows.append(_nav_row(t))
    return InlineKeyboardMarkup(rows)


async def ask_interests(update: Update, context: BotContext) -> int:
    _draft(context)["state"] = ASK_INTERESTS
    t = context.t
    chosen = list(_draft(context).get("interests", []))
    await _say(
        update,
        context,
        t.gettext("<b>Your interests</b>\nTap all that apply, then “Done”."),
        _interests_keyboard(t, chosen),
    )
    return ASK_INTERESTS


def _phone_labels(t: Translator) -> dict[str, str]:
    return {
        "share": "📱 " + t.gettext("Share my phone number"),
        "skip": "⏭ " + t.gettext("Skip"),
        "back": "◀ " + t.gettext("Back"),
        "cancel": "✖ " + t.gettext("Cancel"),
    }


async def ask_phone(update: Update, context: BotContext) -> int:
    _draft(context)["state"] = ASK_PHONE
    t = context.t
    labels = _phone_labels(t)
    keyboard = ReplyKeyboardMarkup(
        [
            [KeyboardButton(labels["share"], request_contact=True)],
            [KeyboardButton(labels["skip"])],
            [KeyboardButton(labels["back"]), KeyboardButton(labels["cancel"])],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    await _say(
        update,
        context,
        t.gettext(
            "<b>Your phone number</b> (optional)\nTap “Share my phone number” below, or skip. "
            "Only the coordinators and the lead of your region will see it."
        ),
        keyboard,
    )
    return ASK_PHONE


async def ask_consent(update: Update, context: BotContext) -> int:
    _draft(context)["state"] = ASK_CONSENT
    t = context.t
    text = t.gettext(
        "<b>Your data and your consent</b>\n"
        "We keep: your name, region, district, who you are, your interests, and your phone "
        "number if you shared it. Name, district and phone are stored encrypted.\n"
        "Who sees them: the coordinators of the community and the regional lead of your region. "
        "Nobody else; they are never published.\n"
        "Why: to connect you with the community and the events of your region.\n"
        "Your choice: /profile shows and changes what we keep; /leave erases it at once.\n\n"
        "Do you agree to the processing of your personal data for these purposes?"
    )
    rows = [
        [InlineKeyboardButton("✅ " + t.gettext("I agree"), callback_data="join:agree")],
        _nav_row(t),
    ]
    await _say(update, context, text, InlineKeyboardMarkup(rows))
    return ASK_CONSENT


def summary_text(t: Translator, draft: dict[str, Any]) -> str:
    phone = draft.get("phone")
    return "\n".join(
        [
            t.gettext("<b>Please check your details</b>"),
            t.gettext("Name: {value}").format(value=html.escape(draft.get("name", "—"))),
            t.gettext("Region: {value}").format(value=region_name(t, draft.get("region"))),
            t.gettext("District, town or village: {value}").format(
                value=html.escape(draft.get("district") or "—")
            ),
            t.gettext("Who you are: {value}").format(
                value=_occupation_name(t, draft.get("occupation"))
            ),
            t.gettext("Interests: {value}").format(
                value=_interest_names(t, draft.get("interests", []))
            ),
            t.gettext("Phone: {value}").format(value=html.escape(phone) if phone else "—"),
        ]
    )


def _edit_buttons(t: Translator, prefix: str) -> list[list[InlineKeyboardButton]]:
    labels = {
        "name": t.gettext("Name"),
        "region": t.gettext("Region"),
        "district": t.gettext("District"),
        "occupation": t.gettext("Who I am"),
        "interests": t.gettext("Interests"),
        "phone": t.gettext("Phone"),
    }
    buttons = [
        InlineKeyboardButton("✏️ " + label, callback_data=f"{prefix}{field}")
        for field, label in labels.items()
    ]
    return in_rows(buttons)


async def show_summary(update: Update, context: BotContext) -> int:
    t = context.t
    draft = _draft(context)
    draft["editing"] = True
    draft["state"] = SUMMARY
    rows = _edit_buttons(t, "join:edit:")
    rows.append([InlineKeyboardButton("✅ " + t.gettext("Join"), callback_data="join:submit")])
    rows.append(_nav_row(t, back=False))
    await _say(update, context, summary_text(t, draft), InlineKeyboardMarkup(rows))
    return SUMMARY


ASKERS = {
    ASK_NAME: ask_name,
    ASK_REGION: ask_region,
    ASK_DISTRICT: ask_district,
    ASK_OCCUPATION: ask_occupation,
    ASK_INTERESTS: ask_interests,
    ASK_PHONE: ask_phone,
    ASK_CONSENT: ask_consent,
    SUMMARY: show_summary,
}


async def _next(update: Update, context: BotContext, step: int) -> int:
    """After an answer: the next question, or back to the summary or profile when editing."""
    draft = _draft(context)
    if draft.get("mode") == "profile":
        await _save_profile_field(update, context, step)
        return ConversationHandler.END
    if draft.get("editing"):
        return await show_summary(update, context)
    following = STEPS[STEPS.index(step) + 1] if step in STEPS[:-1] else SUMMARY
    return await ASKERS[following](update, context)


async def _answered(update: Update, context: BotContext, answer: str) -> None:
    """Replace the buttons of the question she answered with her answer."""
    query = update.callback_query
    if query is not None:
        await query.answer()
        await query.edit_message_text(f"{message_html(query.message)}\n→ {html.escape(answer)}")


# -- answers ----------------------------------------------------------------------------------


async def got_name(update: Update, context: BotContext) -> int:
    """A name: 2–100 characters with at least one letter, any script."""
    assert update.effective_message and update.effective_message.text is not None
    name = " ".join(update.effective_message.text.split())
    if not (NAME_MIN <= len(name) <= NAME_MAX) or not any(ch.isalpha() for ch in name):
        await update.effective_message.reply_text(
            context.t.gettext(
                "Please write your name with 2 to 100 characters, for example “Айнура Токтогулова”."
            )
        )
        return ASK_NAME
    _draft(context)["name"] = name
    return await _next(update, context, ASK_NAME)


async def got_region(update: Update, context: BotContext) -> int:
    assert context.match is not None
    code = context.match.group(1)
    _draft(context)["region"] = code
    await _answered(update, context, region_name(context.t, code))
    return await _next(update, context, ASK_REGION)


async def got_district(update: Update, context: BotContext) -> int:
    assert update.effective_message and update.effective_message.text is not None
    district = " ".join(update.effective_message.text.split())
    if not district or len(district) > DISTRICT_MAX:
        await update.effective_message.reply_text(
            context.t.gettext("Please keep it under 100 characters, or skip this question.")
        )
        return ASK_DISTRICT
    _draft(context)["district"] = district
    return await _next(update, context, ASK_DISTRICT)


async def skip_district(update: Update, context: BotContext) -> int:
    _draft(context)["district"] = None
    await _answered(update, context, context.t.gettext("Skipped"))
    return await _next(update, context, ASK_DISTRICT)


async def got_occupation(update: Update, context: BotContext) -> int:
    assert context.match is not None
    code = context.match.group(1)
    _draft(context)["occupation"] = code
    await _answered(update, context, _occupation_name(context.t, code))
    return await _next(update, context, ASK_OCCUPATION)


async def toggle_interest(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None and context.match is not None
    code = context.match.group(1)
    chosen: list[str] = list(_draft(context).get("interests", []))
    if code in chosen:
        chosen.remove(code)
    else:
        chosen.append(code)
    _draft(context)["interests"] = [c for c in INTERESTS if c in chosen]
    await query.answer()
    await replace_buttons(query, _interests_keyboard(context.t, chosen))
    return ASK_INTERESTS


async def interests_done(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None
    chosen = list(_draft(context).get("interests", []))
    if not chosen:
        await query.answer(context.t.gettext("Choose at least one interest."), show_alert=True)
        return ASK_INTERESTS
    await _answered(update, context, _interest_names(context.t, chosen))
    return await _next(update, context, ASK_INTERESTS)


async def got_contact(update: Update, context: BotContext) -> int:
    """Her own number, shared with Telegram's button (never typed)."""
    message = update.effective_message
    assert message and message.contact and update.effective_user
    t = context.t
    if message.contact.user_id != update.effective_user.id:
        await message.reply_text(t.gettext("Please share your own number with the button below."))
        return ASK_PHONE
    phone = message.contact.phone_number
    _draft(context)["phone"] = phone if phone.startswith("+") else "+" + phone
    await message.reply_text(
        t.gettext("Thank you, the number is saved."), reply_markup=ReplyKeyboardRemove()
    )
    return await _next(update, context, ASK_PHONE)


async def phone_text(update: Update, context: BotContext) -> int:
    """The reply-keyboard buttons Skip/Back/Cancel, or a typed number (not accepted)."""
    message = update.effective_message
    assert message and message.text is not None
    t = context.t
    labels = _phone_labels(t)
    if message.text == labels["skip"]:
        _draft(context)["phone"] = None
        await message.reply_text(t.gettext("Skipped"), reply_markup=ReplyKeyboardRemove())
        return await _next(update, context, ASK_PHONE)
    if message.text == labels["back"]:
        await message.reply_text("◀", reply_markup=ReplyKeyboardRemove())
        return await go_back(update, context)
    if message.text == labels["cancel"]:
        return await cancel(update, context)
    await message.reply_text(
        t.gettext(
            "Please use the “Share my phone number” button below instead of typing: this way "
            "the number is surely yours. Or skip this question."
        )
    )
    return ASK_PHONE


async def agree(update: Update, context: BotContext) -> int:
    _draft(context)["consent"] = True
    await _answered(update, context, context.t.gettext("I agree"))
    return await show_summary(update, context)


async def not_this(update: Update, context: BotContext) -> int:
    """A sticker, photo, voice or stray text where something else was asked: ask again."""
    assert update.effective_message and context.user_data is not None
    t = context.t
    state = _current_state(context)
    if state in (ASK_NAME, ASK_DISTRICT):
        hint = t.gettext("Please answer with a text message.")
    else:
        hint = t.gettext("Please use the buttons of the question.")
    await update.effective_message.reply_text(hint)
    return await ASKERS[state](update, context)


def _current_state(context: BotContext) -> int:
    return int(_draft(context).get("state", ASK_NAME))


async def go_back(update: Update, context: BotContext) -> int:
    """◀ Back: the previous question, with what she entered kept."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    if _draft(context).get("mode") == "profile":
        _drop_draft(context)
        await show_profile(update, context)
        return ConversationHandler.END
    state = _current_state(context)
    previous = STEPS[max(STEPS.index(state) - 1, 0)] if state in STEPS else ASK_CONSENT
    return await ASKERS[previous](update, context)


async def cancel(update: Update, context: BotContext) -> int:
    """✖ Cancel or /cancel: nothing is saved."""
    t = context.t
    if update.callback_query is not None:
        await update.callback_query.answer()
    mode = _draft(context).get("mode")
    _drop_draft(context)
    text = (
        t.gettext("Cancelled. Your profile has not changed.")
        if mode == "profile"
        else t.gettext("Cancelled. Nothing was saved; you can /join at any time.")
    )
    await _say(update, context, text, ReplyKeyboardRemove())
    await _say(update, context, main_menu_text(t), main_menu_keyboard(t))
    return ConversationHandler.END


async def edit_field(update: Update, context: BotContext) -> int:
    """✏️ on the summary: ask that question again, then come back to the summary."""
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    return await ASKERS[FIELDS[context.match.group(1)]](update, context)


# -- joining ----------------------------------------------------------------------------------


async def start_join(update: Update, context: BotContext) -> int:
    """/join or the menu: start the sign-up, or show the profile of a member."""
    assert update.effective_user
    member = await get_member(context.db, update.effective_user.id)
    if member is not None:
        await show_profile(update, context)
        return ConversationHandler.END
    if update.callback_query is not None:
        await update.callback_query.answer()
    assert context.user_data is not None
    context.user_data[DRAFT] = {"mode": "signup"}
    await _say(
        update,
        context,
        context.t.gettext(
            "<b>Joining the solidarity community</b>\nA few short questions; ◀ Back and ✖ Cancel "
            "are always there, and nothing is saved until you confirm."
        ),
    )
    return await ask_name(update, context)


async def submit(update: Update, context: BotContext) -> int:
    """✅ Join: record the membership and ask for approval (unless JOIN_APPROVAL=false)."""
    query = update.callback_query
    assert query is not None and update.effective_user
    draft = _draft(context)
    t = context.t
    missing = [f for f in ("name", "region", "occupation", "interests") if not draft.get(f)]
    if missing or not draft.get("consent"):
        await query.answer(t.gettext("Some answers are missing."), show_alert=True)
        return await ASKERS[FIELDS[missing[0]] if missing else ASK_CONSENT](update, context)
    await query.answer()
    await replace_buttons(query, None)
    approved = not context.settings.join_approval
    member = await create_member(
        context.db,
        update.effective_user.id,
        MemberDraft(
            name=draft["name"],
            region=draft["region"],
            district=draft.get("district"),
            occupation=draft["occupation"],
            interests=tuple(draft["interests"]),
            phone=draft.get("phone"),
        ),
        approved=approved,
    )
    _drop_draft(context)
    if approved:
        text = t.gettext("Welcome to the solidarity community! You are now a member.")
    else:
        text = t.gettext(
            "Thank you! Your request was sent to the coordinators and the lead of your region. "
            "You will get a message here when it is decided."
        )
    await _say(update, context, text)
    await _say(update, context, main_menu_text(t), main_menu_keyboard(t))
    if not approved:
        await ask_approvers(context, member)
    return ConversationHandler.END


async def ask_approvers(context: BotContext, member: MemberInfo) -> None:
    """Coordinators and her region's leads get the request with Approve / Decline buttons."""
    approvers = await approvers_for(context.db, context.settings, member.region)
    approvers.discard(member.user_id)

    def render(t: Translator) -> tuple[str, InlineKeyboardMarkup]:
        text = t.gettext("<b>New membership request</b>\n{name} — {region}, {occupation}").format(
            name=html.escape(member.name),
            region=region_name(t, member.region),
            occupation=_occupation_name(t, member.occupation),
        )
        buttons = [
            InlineKeyboardButton(
                "✅ " + t.gettext("Approve"), callback_data=f"mem:approve:{member.user_id}"
            ),
            InlineKeyboardButton(
                "✖ " + t.gettext("Decline"), callback_data=f"mem:decline:{member.user_id}"
            ),
        ]
        return text, InlineKeyboardMarkup([buttons])

    await notify_each(context, approvers, render)


def _buttons_without(
    message: MaybeInaccessibleMessage | None, user_id: int
) -> list[list[InlineKeyboardButton]]:
    """The buttons of a message, less those about one person."""
    if not isinstance(message, Message) or message.reply_markup is None:
        return []
    rows = [
        [b for b in row if not str(b.callback_data or "").endswith(f":{user_id}")]
        for row in message.reply_markup.inline_keyboard
    ]
    return [row for row in rows if row]


async def decide_membership(update: Update, context: BotContext) -> None:
    """Approve / Decline, by a coordinator or the lead of her region only."""
    query = update.callback_query
    assert query is not None and context.match is not None and update.effective_user
    action, raw_id = context.match.groups()
    target_id = int(raw_id)
    t = context.t
    actor = await roles_of(context.db, context.settings, update.effective_user.id)
    member = await get_member(context.db, target_id)
    if member is None or member.status != "pending":
        await query.answer(t.gettext("This request has already been decided."), show_alert=True)
        return
    if not actor.can_manage_region(member.region):
        log.warning(
            "Refused membership decision on %s to user %s (no role for region %s)",
            target_id,
            actor.user_id,
            member.region,
        )
        await query.answer(
            t.gettext("Only coordinators and the lead of her region can decide."), show_alert=True
        )
        return
    approve = action == "approve"
    decided = await decide(context.db, target_id, approve=approve, actor_id=actor.user_id)
    if decided is None:
        await query.answer(t.gettext("This request has already been decided."), show_alert=True)
        return
    verdict = t.gettext("Approved") if approve else t.gettext("Declined")
    others = _buttons_without(query.message, target_id)
    if others:
        # A page of several requests (/members): only hers leave it.
        await query.answer(f"{verdict}: {member.name}")
        await replace_buttons(query, InlineKeyboardMarkup(others))
    else:
        await query.answer()
        await query.edit_message_text(f"{message_html(query.message)}\n→ {verdict}")

    def tell(member_t: Translator) -> tuple[str, InlineKeyboardMarkup | None]:
        if approve:
            return (
                member_t.gettext(
                    "Your membership of the solidarity community is approved. Welcome!"
                ),
                main_menu_keyboard(member_t),
            )
        return (
            member_t.gettext(
                "Your membership request was not approved, and the details you sent were "
                "erased. You can send /join to apply again."
            ),
            None,
        )

    await notify_each(context, {target_id}, tell)


# -- profile ----------------------------------------------------------------------------------


def profile_text(t: Translator, member: MemberInfo) -> str:
    events = {
        "region": t.gettext("events in my region"),
        "all": t.gettext("events in all regions"),
        "none": t.gettext("no events"),
    }[member.notify_events]
    status = (
        t.gettext("member") if member.status == "approved" else t.gettext("waiting for approval")
    )
    draft = {
        "name": member.name,
        "region": member.region,
        "district": member.district,
        "occupation": member.occupation,
        "interests": list(member.interests),
        "phone": member.phone,
    }
    lines = summary_text(t, draft).split("\n")[1:]
    return "\n".join(
        [
            t.gettext("<b>Your profile</b>"),
            t.gettext("Status: {value}").format(value=status),
            *lines,
            "",
            t.gettext("Notify me about: {value}").format(value=events),
            t.gettext("Announcements: {value}").format(
                value=t.gettext("on") if member.notify_announcements else t.gettext("off")
            ),
            t.gettext("Language: {language}").format(language=LANGUAGE_NAMES[t.lang]),
        ]
    )


def profile_keyboard(t: Translator) -> InlineKeyboardMarkup:
    rows = _edit_buttons(t, "prof:edit:")
    rows += [
        [InlineKeyboardButton("🔔 " + t.gettext("Events to notify"), callback_data="prof:events")],
        [InlineKeyboardButton("📣 " + t.gettext("Announcements on/off"), callback_data="prof:ann")],
        [InlineKeyboardButton("🌐 " + t.gettext("Language"), callback_data="menu:language")],
        [InlineKeyboardButton("🚪 " + t.gettext("Leave the community"), callback_data="leave:ask")],
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
                [[InlineKeyboardButton("🤝 " + t.gettext("Join"), callback_data="join:start")]]
            ),
        )
        return
    await edit_or_send(update, context, profile_text(t, member), profile_keyboard(t))


async def edit_profile_field(update: Update, context: BotContext) -> int:
    """✏️ in the profile: one question, saved at once."""
    query = update.callback_query
    assert query is not None and context.match is not None and update.effective_user
    member = await get_member(context.db, update.effective_user.id)
    if member is None:
        await show_profile(update, context)
        return ConversationHandler.END
    await query.answer()
    assert context.user_data is not None
    context.user_data[DRAFT] = {"mode": "profile", "interests": list(member.interests)}
    return await ASKERS[FIELDS[context.match.group(1)]](update, context)


async def _save_profile_field(update: Update, context: BotContext, step: int) -> None:
    assert update.effective_user
    draft = _draft(context)
    user_id = update.effective_user.id
    field = next(name for name, state in FIELDS.items() if state == step)
    if field == "district":
        await update_member(
            context.db, user_id, district=draft.get("district"), clear_district=True
        )
    elif field == "phone":
        await update_member(context.db, user_id, phone=draft.get("phone"), clear_phone=True)
    elif field == "interests":
        await update_member(context.db, user_id, interests=tuple(draft["interests"]))
    else:
        await update_member(context.db, user_id, **{field: draft[field]})
    _drop_draft(context)
    member = await get_member(context.db, user_id)
    assert member is not None
    t = context.t
    await _say(update, context, t.gettext("Saved."))
    await _say(update, context, profile_text(t, member), profile_keyboard(t))


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


# -- leaving ----------------------------------------------------------------------------------


async def ask_leave(update: Update, context: BotContext) -> None:
    """/leave: confirm before erasing."""
    assert update.effective_user
    t = context.t
    if await get_member(context.db, update.effective_user.id) is None:
        await edit_or_send(
            update, context, t.gettext("You are not a member of the community."), None
        )
        return
    await edit_or_send(
        update,
        context,
        t.gettext(
            "Leave the community? Your name, phone, district and interests will be erased now, "
            "and your membership ends. Incident reports you sent are not affected."
        ),
        InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        "🗑 " + t.gettext("Yes, erase my data"), callback_data="leave:yes"
                    )
                ],
                [InlineKeyboardButton(t.gettext("No, stay"), callback_data="leave:no")],
            ]
        ),
    )


async def confirm_leave(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and update.effective_user
    t = context.t
    user_id = update.effective_user.id
    if query.data == "leave:no":
        await edit_or_send(update, context, main_menu_text(t), main_menu_keyboard(t))
        return
    erased = await erase_member(context.db, user_id, actor_id=user_id)
    coordinator, regions = await grants_of(context.db, user_id)
    if coordinator or regions:
        await set_grants(
            context.db, user_id, coordinator=False, lead_regions=frozenset(), actor_id=user_id
        )
        await refresh_commands(context.application, user_id)  # back to the public menu
    _drop_draft(context)
    text = (
        t.gettext("Your data has been erased. You can join again at any time with /join.")
        if erased
        else t.gettext("You are not a member of the community.")
    )
    await edit_or_send(update, context, text, None)


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    back_cancel = [
        CallbackQueryHandler(go_back, pattern="^join:back$"),
        CallbackQueryHandler(cancel, pattern="^join:cancel$"),
    ]
    anything_else = MessageHandler(~filters.COMMAND, not_this)
    region_codes = "|".join(REGIONS)
    occupation_codes = "|".join(OCCUPATIONS)
    interest_codes = "|".join(INTERESTS)
    join = persistent_conversation(
        "join",
        entry_points=[
            CommandHandler("join", start_join),
            CallbackQueryHandler(start_join, pattern="^join:start$"),
            CallbackQueryHandler(edit_profile_field, pattern=rf"^prof:edit:({'|'.join(FIELDS)})$"),
        ],
        states={
            ASK_NAME: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, got_name),
                *back_cancel,
                anything_else,
            ],
            ASK_REGION: [
                CallbackQueryHandler(got_region, pattern=rf"^join:region:({region_codes})$"),
                *back_cancel,
                anything_else,
            ],
            ASK_DISTRICT: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, got_district),
                CallbackQueryHandler(skip_district, pattern="^join:skip$"),
                *back_cancel,
                anything_else,
            ],
            ASK_OCCUPATION: [
                CallbackQueryHandler(got_occupation, pattern=rf"^join:occ:({occupation_codes})$"),
                *back_cancel,
                anything_else,
            ],
            ASK_INTERESTS: [
                CallbackQueryHandler(interests_done, pattern="^join:int:done$"),
                CallbackQueryHandler(toggle_interest, pattern=rf"^join:int:({interest_codes})$"),
                *back_cancel,
                anything_else,
            ],
            ASK_PHONE: [
                MessageHandler(filters.CONTACT, got_contact),
                MessageHandler(filters.TEXT & ~filters.COMMAND, phone_text),
                *back_cancel,
                anything_else,
            ],
            ASK_CONSENT: [
                CallbackQueryHandler(agree, pattern="^join:agree$"),
                *back_cancel,
                anything_else,
            ],
            SUMMARY: [
                CallbackQueryHandler(edit_field, pattern=rf"^join:edit:({'|'.join(FIELDS)})$"),
                CallbackQueryHandler(submit, pattern="^join:submit$"),
                *back_cancel,
                anything_else,
            ],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
    )
    return [
        join,
        CommandHandler("profile", show_profile),
        CallbackQueryHandler(cycle_events, pattern="^prof:events$"),
        CallbackQueryHandler(toggle_announcements, pattern="^prof:ann$"),
        CommandHandler("leave", ask_leave),
        CallbackQueryHandler(ask_leave, pattern="^leave:ask$"),
        CallbackQueryHandler(confirm_leave, pattern="^leave:(yes|no)$"),
        CallbackQueryHandler(decide_membership, pattern=r"^mem:(approve|decline):(\d{1,20})$"),
    ]
