"""The danger path: when she says someone is in immediate danger, the help lines at once, and
an alert to the coordinators at once, before the report is finished.

The alert goes through the outbox at the highest priority, to every coordinator (a 429, a hang
or a blocked chat on one never holds up the others). She is told the truth: that the alert is on
its way, then to how many coordinators it was delivered; if nobody could be reached within a
minute, she gets the help lines again, and the failure is logged as an error.
"""

from __future__ import annotations

import html
import logging
from datetime import timedelta

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
        await alert(turn.context, turn.user_id, t.lang, category, region)
        note = t.gettext(
            "An alert is on its way to the coordinators; you will see here when it has reached "
            "them. Please finish the report so they know what happened."
        )
    else:
        note = t.gettext("The coordinators were alerted when you first said so.")
    await turn.say(
        "⚠️ " + t.gettext("<b>If someone is in danger now, call:</b>") + "\n" + lines + "\n\n" + note
    )
    return True


async def alert(
    context: BotContext, reporter: int, lang: str, category: str | None, region: str
) -> None:
    """The alert to every coordinator (and lead allowed to see reports), as one batch: when it
    is done, or a minute has passed, she hears how it went."""
    viewers = await report_viewers(context.db, context.settings, region)
    viewers.discard(reporter)
    if await is_muted(context.db, reporter):
        viewers = set()  # muted by the coordinators: she still sees the help lines
    where = {"region": region, "category": category}
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
            to_each(viewers, "report.danger", where, priority=DANGER),
            batch_id=batch,
        )
    context.app.wake_sender()
    log.info("Danger alert queued for %s coordinator(s)", len(viewers))


@renderer("report.danger")
async def render_alert(r: Recipient) -> Rendered:
    t = r.t
    region, category = r.params.get("region"), r.params.get("category")
    text = t.gettext(
        "<b>Immediate danger</b> reported by someone filing a report now: "
        "{region}, {category}. The report follows when it is sent."
    ).format(region=region_name(t, region), category=category_name(t, category))
    return Rendered("⚠️ " + text)


@batch_hook("danger")
async def alert_done(app: SolidarityApp, batch: BatchInfo, late: bool) -> None:
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
        return
    message = Outgoing(params["chat"], kind, values, DANGER)
    async with app.db.transaction() as session:
        await enqueue(session, app.db.cipher, [message])
    app.wake_sender()


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
