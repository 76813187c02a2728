"""After an event: its outcome (how many took part, women and men, and what was discussed and
decided), asked of the organiser by the reminder job and recorded in a small form; and the
coordinators' report of events with their outcomes by region and period, with a CSV file in
the coordinator's language (for reporting on the national action plans and UNSCR 1325)."""

from __future__ import annotations

import html
import logging
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import CallbackQueryHandler

from bot import keys
from bot.context import BotContext
from bot.forms import Form, Incoming, Input, Refused, Step, Turn
from bot.forms.long_text import question, text_step
from bot.forms.wiring import Handler
from bot.i18n import N_, Translator, export_datetime
from bot.keyboards import in_rows, region_name
from bot.replies import edit_or_send, refuse, replace_buttons, require_coordinator
from bot.services.community import REGIONS
from bot.services.csv_export import csv_file
from bot.services.events import (
    NOTES_MAX,
    PEOPLE_MAX,
    PERIODS,
    outcome_problem,
    parse_count,
    period_range,
)
from bot.text import TEXT_LIMIT, utf16_len
from db.audit import audit
from db.event_changes import events_between, save_outcome
from db.events import EventInfo, get_event
from db.types import utcnow

from .access import managed_event
from .callbacks import LIST, OUTCOME, REPORT, REPORT_CSV, REPORT_REGIONS
from .render import kind_name, where_name

log = logging.getLogger(__name__)

SCOPES = ("all", "country", *REGIONS)  # the report's region filter

# -- the outcome form ------------------------------------------------------------------------


async def may_record(turn: Turn) -> bool:
    """Those who may manage the event, once it has begun (and unless it was called off)."""
    parsed = OUTCOME.parse(turn.query.data if turn.query else None)
    if parsed is None:
        return False
    loaded = await managed_event(turn.update, turn.context, int(parsed[0]), "recording an outcome")
    if loaded is None:
        return False
    event = loaded[1]
    if event.cancelled or event.starts_at > utcnow():
        assert turn.query is not None
        await turn.query.answer(
            turn.t.gettext("An outcome can be recorded once the event has taken place."),
            show_alert=True,
        )
        return False
    return True


async def prefill(turn: Turn) -> None:
    parsed = OUTCOME.parse(turn.query.data if turn.query else None)
    assert parsed is not None
    event = await get_event(turn.context.db, int(parsed[0]))
    assert event is not None
    turn.draft["_event"] = event.id
    turn.draft["_title"] = event.title


def count_step(name: str, msgid: str, label: str) -> Step:
    async def accept(turn: Turn, incoming: Incoming) -> bool:
        value = parse_count(incoming.text or "", low=0, high=PEOPLE_MAX)
        if value is None:
            raise Refused(
                turn.t.gettext("Please type a number from 0 to {max}.").format(max=PEOPLE_MAX)
            )
        if name == "total":
            women, men = int(turn.draft.get("women") or 0), int(turn.draft.get("men") or 0)
            if outcome_problem(women, men, value) == "sum":
                raise Refused(
                    turn.t.gettext(
                        "The total cannot be smaller than women and men together ({count})."
                    ).format(count=women + men)
                )
        turn.draft[name] = value
        return True

    return Step(name, question(msgid, name), Input.TEXT, accept, label=label)


WOMEN = count_step("women", N_("<b>How many women took part?</b>\nType a number."), N_("Women"))
MEN = count_step("men", N_("<b>How many men took part?</b>\nType a number."), N_("Men"))
TOTAL = count_step(
    "total",
    N_(
        "<b>How many took part in all?</b>\nWomen and men together, or more if others "
        "(children, say) came too."
    ),
    N_("In all"),
)
NOTES = text_step(
    "notes",
    N_(
        "<b>What was discussed and decided?</b>\nA few lines for the coordinators' "
        "report. Up to 2,000 characters."
    ),
    NOTES_MAX,
    N_("Discussed and decided"),
)


def outcome_lines(t: Translator, women: Any, men: Any, total: Any) -> str:
    return " · ".join(
        [
            t.gettext("Women: {count}").format(count=women if women is not None else "—"),
            t.gettext("Men: {count}").format(count=men if men is not None else "—"),
            t.gettext("In all: {count}").format(count=total if total is not None else "—"),
        ]
    )


def summary(t: Translator, draft: dict[str, Any]) -> str:
    return "\n".join(
        [
            "📝 <b>" + t.gettext("Outcome") + "</b>: " + html.escape(str(draft.get("_title", ""))),
            outcome_lines(t, draft.get("women"), draft.get("men"), draft.get("total")),
            "",
            html.escape(str(draft.get("notes") or "")),
        ]
    )


async def save(turn: Turn) -> bool:
    draft, t = turn.draft, turn.t
    loaded = await managed_event(turn.update, turn.context, int(draft["_event"]), "outcome")
    if loaded is None:
        return False
    women, men, total = int(draft["women"]), int(draft["men"]), int(draft["total"])
    if outcome_problem(women, men, total):
        assert turn.query is not None
        await turn.query.answer(
            t.gettext("The total cannot be smaller than women and men together ({count}).").format(
                count=women + men
            ),
            show_alert=True,
        )
        return False
    await save_outcome(
        turn.context.db,
        int(draft["_event"]),
        women=women,
        men=men,
        total=total,
        notes=str(draft["notes"]),
        actor_id=turn.user_id,
    )
    if turn.query is not None:
        await turn.query.answer()
        await replace_buttons(turn.query, None)
    await turn.say("✅ " + t.gettext("The outcome is saved. Thank you!"))
    return True


OUTCOME_FORM = Form(
    keys.EVENT_OUTCOME,
    "eo",
    (WOMEN, MEN, TOTAL, NOTES),
    command=None,
    submit=save,
    submit_label=N_("Save"),
    submit_icon="💾 ",
    summary=summary,
    cancelled=N_("Cancelled. Nothing was saved."),
    before=may_record,
    prefill=prefill,
)

# -- the coordinators' report ----------------------------------------------------------------


def scope_name(t: Translator, scope: str) -> str:
    if scope == "all":
        return t.gettext("all regions")
    if scope == "country":
        return t.gettext("Whole country")
    return region_name(t, scope)


def status_of(t: Translator, event: EventInfo, now: datetime) -> str:
    if event.cancelled:
        return t.gettext("called off")
    if event.starts_at > now:
        return t.gettext("upcoming")
    if event.outcome_at is None:
        return t.gettext("took place, outcome not recorded")
    return t.gettext("took place")


async def _report_args(
    update: Update, context: BotContext, callback: Any
) -> tuple[str, str] | None:
    if not await require_coordinator(update, context, "event report"):
        return None
    scope, period = callback.values(context.match)
    if scope not in SCOPES:
        log.warning("Refused an event report of scope %r", scope)
        await refuse(update, context.t.gettext("This is only for coordinators."))
        return None
    return scope, period


async def show_report(update: Update, context: BotContext) -> None:
    """Events with their outcomes, by region and period."""
    args = await _report_args(update, context, REPORT)
    if args is None:
        return
    scope, period = args
    t = context.t
    now = utcnow()
    start, end = period_range(period, now, context.settings.tz)
    events = await events_between(context.db, start, end, region=None if scope == "all" else scope)
    held = [e for e in events if e.outcome_at is not None]
    lines = [
        "📊 <b>" + t.gettext("Events and outcomes") + "</b>",
        t.gettext("Region: {value}").format(value=scope_name(t, scope))
        + " · "
        + t.gettext(PERIODS[period]),
        t.gettext("Events: {count}").format(count=len(events))
        + " · "
        + outcome_lines(
            t,
            sum(e.women or 0 for e in held),
            sum(e.men or 0 for e in held),
            sum(e.participants or 0 for e in held),
        ),
        "",
    ]
    for event in events:
        line = (
            f"• {t.short_date(event.starts_at, now)} — {html.escape(event.title)} "
            f"({where_name(t, event.region)}): "
        )
        if event.outcome_at is not None:
            line += outcome_lines(t, event.women, event.men, event.participants)
        else:
            line += status_of(t, event, now)
        if utf16_len("\n".join([*lines, line])) > TEXT_LIMIT - 300:
            lines.append("… " + t.gettext("The file has them all."))
            break
        lines.append(line)
    if not events:
        lines.append(t.gettext("No events in this period."))
    periods = [
        InlineKeyboardButton(
            ("✅ " if code == period else "") + t.gettext(label),
            callback_data=REPORT(scope, code),
        )
        for code, label in PERIODS.items()
    ]
    rows = in_rows(periods)
    rows.append(
        [
            InlineKeyboardButton(
                "📍 " + t.gettext("Region: {value}").format(value=scope_name(t, scope)),
                callback_data=REPORT_REGIONS(period),
            )
        ]
    )
    rows.append(
        [
            InlineKeyboardButton(
                "⬇️ " + t.gettext("Export CSV"), callback_data=REPORT_CSV(scope, period)
            )
        ]
    )
    back = InlineKeyboardButton("◀ " + t.gettext("All events"), callback_data=LIST("all", 0))
    rows.append([back])
    await edit_or_send(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))


async def pick_region(update: Update, context: BotContext) -> None:
    if not await require_coordinator(update, context, "event report"):
        return
    (period,) = REPORT_REGIONS.values(context.match)
    t = context.t
    buttons = [
        InlineKeyboardButton(scope_name(t, code), callback_data=REPORT(code, period))
        for code in SCOPES
    ]
    await edit_or_send(
        update, context, t.gettext("Choose a region:"), InlineKeyboardMarkup(in_rows(buttons))
    )


CSV_COLUMNS = (
    N_("Date and time"),
    N_("Title"),
    N_("Kind"),
    N_("Region"),
    N_("Place"),
    N_("Online link"),
    N_("Status"),
    N_("Going"),
    N_("Maybe"),
    N_("Women"),
    N_("Men"),
    N_("In all"),
    N_("Discussed and decided"),
)


async def export_report(update: Update, context: BotContext) -> None:
    """The report as a CSV file: headers and values in her language (audited)."""
    args = await _report_args(update, context, REPORT_CSV)
    if args is None:
        return
    scope, period = args
    t = context.t
    tz = context.settings.tz
    now = utcnow()
    start, end = period_range(period, now, tz)
    events = await events_between(context.db, start, end, region=None if scope == "all" else scope)
    rows = [
        [
            export_datetime(e.starts_at, tz),
            e.title,
            kind_name(t, e.kind),
            where_name(t, e.region),
            e.place or ("📍 {:.6f}, {:.6f}".format(*e.geo) if e.geo else None),
            e.link,
            status_of(t, e, now),
            e.counts.get("going", 0),
            e.counts.get("maybe", 0),
            e.women,
            e.men,
            e.participants,
            e.outcome,
        ]
        for e in events
    ]
    assert update.effective_user and update.effective_chat and update.callback_query
    await update.callback_query.answer(t.gettext("Preparing the file…"))
    await audit(
        context.db,
        "events.exported",
        actor_id=update.effective_user.id,
        count=len(rows),
        region=scope,
        period=period,
    )
    stamp = now.astimezone(tz).strftime("%Y%m%d-%H%M")
    await context.bot.send_document(
        update.effective_chat.id,
        InputFile(
            csv_file([t.gettext(c) for c in CSV_COLUMNS], rows), filename=f"events-{stamp}.csv"
        ),
        caption=html.escape(
            t.ngettext("{count} event.", "{count} events.", len(rows)).format(count=len(rows))
        ),
    )


def build_handlers() -> list[Handler]:
    return [
        *OUTCOME_FORM.handlers(buttons=[OUTCOME.pattern]),
        CallbackQueryHandler(show_report, pattern=REPORT.pattern),
        CallbackQueryHandler(pick_region, pattern=REPORT_REGIONS.pattern),
        CallbackQueryHandler(export_report, pattern=REPORT_CSV.pattern),
    ]
