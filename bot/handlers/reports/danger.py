"""The danger path: when she says someone is in immediate danger, the help lines at once, and
an alert to the coordinators at once, before the report is finished.

The alert raises the report at once with what she has written so far (anonymous: who she is
comes only with the finished form, if she chooses), so the alert carries "Open" and "Write to
her" (relayed, as for any report). Sending the form completes that same report
(db.reports.create_report); if she discards the form, what she had written stays with the
coordinators, and she is told so.

The alert goes through the outbox at the highest priority, to every coordinator (a 429, a hang
or a blocked chat on one never holds up the others). She is told the truth: that the alert is on
its way, then to how many coordinators it was delivered; if nobody could be reached within a
minute, she gets the help lines again, and the failure is logged as an error.
"""

from __future__ import annotations

import html
import logging
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import OPEN_REPORT, REPLY_TO_REPORTER
from bot.context import BotContext, SolidarityApp
from bot.delivery import DANGER, Recipient, Rendered, batch_hook, renderer
from bot.forms import Incoming, Turn
from bot.i18n import Translator
from bot.keyboards import category_name, region_name
from bot.notify import to_each
from bot.services.help_contacts import (
    UNCHECKED,
    Contact,
    contacts_for,
    current_directory,
    directory_confirmed,
)
from bot.services.roles import report_viewers
from db.engine import Database
from db.mutes import is_muted
from db.outbox import SENT, BatchInfo, Outgoing, enqueue, new_batch
from db.reports import ReportDraft, Reporter, create_report, get_report
from db.types import utcnow

log = logging.getLogger(__name__)

ALERT_DEADLINE = timedelta(minutes=1)  # nobody reached by then: she is told, and it is logged


def format_contacts(contacts: list[Contact], lang: str) -> str:
    return "\n".join(
        f"📞 <b>{html.escape(c.number)}</b> — {html.escape(c.names[lang])}" for c in contacts
    )


async def help_lines(
    db: Database, t: Translator, category: str | None, region: str | None, *, every: bool = False
) -> str:
    """The help lines for this category and region (`every`: all of them), in her language."""
    directory = await current_directory(db)
    chosen = (
        sorted(directory, key=lambda c: not c.emergency)
        if every
        else contacts_for(directory, category, region)
    )
    text = format_contacts(chosen, t.lang)
    return text if await directory_confirmed(db) else f"{text}\n<i>{t.gettext(UNCHECKED)}</i>"


async def accept_danger(turn: Turn, incoming: Incoming) -> bool:
    """Someone in danger: help lines at once, and the coordinators alerted at once."""
    draft, t = turn.draft, turn.t
    danger = incoming.value == "yes"
    draft["danger"] = danger
    if not danger:
        return True
    category, region = draft.get("category"), str(draft.get("region", ""))
    lines = await help_lines(turn.context.db, t, category, region)
    limits = turn.context.app.limits
    first_time = not draft.get("danger_alerted")
    if first_time and not limits.alerts_allowed(turn.user_id):
        # Several alerts today that no report followed: this one waits for the report.
        note = t.gettext(
            "The coordinators were alerted several times today without a report following. "
            "Please finish this report: it reaches them at once, marked as urgent."
        )
    elif first_time:
        draft["danger_alerted"] = True
        limits.note("alert", turn.user_id)
        report_id = await raise_early(turn)
        draft["alert_report"] = report_id
        await alert(turn.context, turn.user_id, t.lang, report_id)
        note = t.gettext(
            "An alert is on its way to the coordinators with what you have written so far (not "
            "who you are), so that they can read it and write to you here. You will see here "
            "when it has reached them. Please finish the report: what you add reaches them too."
        )
    else:
        note = t.gettext("The coordinators were alerted when you first said so.")
    await turn.say(
        "⚠️ " + t.gettext("<b>If someone is in danger now, call:</b>") + "\n" + lines + "\n\n" + note
    )
    return True


async def raise_early(turn: Turn) -> int:
    """The report, raised now with what she has written (no files yet, and anonymous), under
    the draft's own id: sending the form completes this same report."""
    draft = turn.draft
    text = str(draft.get("text") or "")
    if draft.get("what"):
        text = f"[{draft['what']}]\n\n{text}"
    report = await create_report(
        turn.context.db,
        ReportDraft(
            category=str(draft.get("category") or "other"),
            region=str(draft.get("region") or ""),
            text=text,
            occurred=str(draft.get("occurred") or ""),
            danger=True,
            anonymous=True,
            place=draft.get("place"),
        ),
        Reporter(user_id=turn.user_id, name=""),
        lang=turn.t.lang,
        files_dir=turn.context.settings.data_dir,
        filing_id=draft.get("_id"),
        alert=True,
    )
    log.info("Report %s raised by a danger alert", report.ref)
    return report.id


def kept_after_alert(t: Translator, draft: dict[str, object]) -> str | None:
    """Said when she discards a form whose alert raised its report: that report stays."""
    if not draft.get("alert_report"):
        return None
    return t.gettext(
        "What you had written when you raised the alert stays with the coordinators, so that "
        "they can reach you here. /myreports shows it."
    )


async def alert(context: BotContext, reporter: int, lang: str, report_id: int) -> None:
    """The alert to every coordinator (and lead allowed to see reports), as one batch: when it
    is done, or a minute has passed, she hears how it went."""
    report = await get_report(context.db, report_id)
    assert report is not None
    viewers = await report_viewers(context.db, context.settings, report.region)
    viewers.discard(reporter)
    if await is_muted(context.db, reporter):
        viewers = set()  # muted by the coordinators: she still sees the help lines
    where = {"region": report.region, "category": report.category}
    async with context.db.transaction() as session:
        batch = await new_batch(
            session,
            context.db.cipher,
            "danger",
            {"chat": reporter, "lang": lang, **where},
            deadline=utcnow() + ALERT_DEADLINE,
        )
        await enqueue(
            session,
            context.db.cipher,
            to_each(viewers, "report.danger", {"report": report_id}, priority=DANGER),
            batch_id=batch,
        )
    context.app.wake_sender()
    log.info("Danger alert queued for %s coordinator(s)", len(viewers))


@renderer("report.danger")
async def render_alert(r: Recipient) -> Rendered | None:
    t = r.t
    where = (
        f"{region_name(t, r.params.get('region'))}, {category_name(t, r.params.get('category'))}"
    )
    if "report" not in r.params:  # queued before alerts raised their report
        return Rendered("⚠️ " + t.gettext("Someone is in immediate danger.") + "\n" + where)
    report = await get_report(r.app.db, int(r.params["report"]))
    if report is None:  # removed meanwhile
        return None
    text = t.gettext(
        "<b>Immediate danger</b>, report {ref} ({region}, {category}): she is filling in the "
        "report now. Open it to read what she has written so far, or write to her; the rest "
        "follows when she sends it."
    ).format(
        ref=report.ref,
        region=region_name(t, report.region),
        category=category_name(t, report.category),
    )
    buttons = [
        InlineKeyboardButton("📂 " + t.gettext("Open"), callback_data=OPEN_REPORT(report.id)),
        InlineKeyboardButton(
            "✉️ " + t.gettext("Write to her"), callback_data=REPLY_TO_REPORTER(report.id)
        ),
    ]
    return Rendered("⚠️ " + text, InlineKeyboardMarkup([buttons]))


@batch_hook("danger")
async def alert_done(app: SolidarityApp, batch: BatchInfo, late: bool) -> list[Outgoing]:
    """She hears to how many it went; if to nobody within a minute, the help lines again."""
    reached = batch.counts.get(SENT, 0)
    params = batch.params
    told_late = not late and batch.deadline is None  # the minute passed before it was done
    if reached and not late:
        kind, values = "danger.reached", {"count": reached, "lang": params["lang"]}
    elif not reached and not told_late:
        log.error("A danger alert reached no coordinator %s", "within a minute" if late else "")
        kind = "danger.unreached"
        values = {key: params.get(key) for key in ("lang", "region", "category")}
    else:
        return []
    return [Outgoing(params["chat"], kind, values, DANGER)]


@renderer("danger.reached")
async def render_reached(r: Recipient) -> Rendered:
    count = int(r.params.get("count", 0))
    text = r.t.ngettext(
        "✅ Your alert has reached {count} coordinator.",
        "✅ Your alert has reached {count} coordinators.",
        count,
    ).format(count=count)
    return Rendered(text)


@renderer("danger.unreached")
async def render_unreached(r: Recipient) -> Rendered:
    t = r.t
    lines = await help_lines(r.app.db, t, r.params.get("category"), r.params.get("region"))
    text = t.gettext(
        "<b>Your alert has not reached any coordinator yet.</b> If someone is in danger now, "
        "please call:"
    )
    return Rendered("⚠️ " + text + "\n" + lines)
