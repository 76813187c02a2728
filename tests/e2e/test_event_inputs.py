"""Bad input while announcing an event: dates, links, places and long texts are asked again and
nothing is lost."""

from __future__ import annotations

from db.audit import audit_entries
from sandbox import Sandbox
from tests.e2e.helpers import wait_text
from tests.e2e.runner import BotRunner
from tests.e2e.test_events import BAD_DURATION, NONSENSE, lead_of
from tests.texts import head, ntr, part, tr


async def test_bad_dates_links_places_and_long_texts_are_re_asked_and_kept(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    olga = await lead_of(bot, sandbox, "Ольга", "naryn", lang="ru")

    def ru(msgid: str, **values: object) -> str:
        return tr("ru", msgid, **values)

    await olga.send("/newevent")
    await wait_text(olga, head("ru", "<b>Title of the event</b>"))
    long_title = "Форум " + "о мире и согласии " * 8  # 149 characters, the last space aside
    await olga.send(long_title)
    await wait_text(olga, part("ru", "Your text, to copy and shorten:"))
    assert long_title.strip() in olga.last_bot_message().text  # type: ignore[union-attr]
    assert any(
        "⚠️" in m.text and "149" in m.text and "120" in m.text and "29" in m.text
        for m in olga.bot_messages()
    )
    await olga.press(
        "✂️ " + ntr("ru", "Use the first {count} character", "Use the first {count} characters", 120)
    )
    await wait_text(olga, head("ru", "<b>Description</b>"))
    await olga.send("Описание")
    await wait_text(olga, head("ru", "<b>When does it start?</b>"))
    for typed, hint in (
        (
            "31.02.2027 10:00",
            "There is no such day in the calendar. Please check the day and the month.",
        ),
        ("банан", NONSENSE),
        ("01.01.2020 10:00", "This moment has already passed. Please give a date and time ahead."),
        ("5 дек", "Please add the time, for example 5 Dec 14:00."),
    ):
        await olga.send(typed)
        await wait_text(olga, ru(hint))
    # The question had scrolled out of sight: it comes again, with its buttons.
    await wait_text(olga, head("ru", "<b>When does it start?</b>"))
    await olga.press(ru("Tomorrow"))
    await wait_text(olga, head("ru", "<b>At what time?</b>"))
    await olga.press("10:00")
    await wait_text(olga, head("ru", "<b>How long does it last?</b>"))
    await olga.send("200 часов")
    await wait_text(olga, part("ru", BAD_DURATION))
    await olga.send("1,5 ч")
    await wait_text(olga, head("ru", "<b>Where?</b>"))
    await olga.send("Нарын, Дом культуры")
    await wait_text(olga, ru("<b>What kind of event is it?</b>"))
    await olga.press(ru("Training"))
    await wait_text(olga, head("ru", "<b>Online link</b>"))
    await olga.send("http://meet.example.org/x")
    await wait_text(
        olga,
        part(
            "ru",
            "Only secure links that begin with https:// are taken, for example https://meet.google.com/abc-defg-hij.",
        ),
    )
    await olga.send("https://meet.example.org/x")
    await wait_text(olga, head("ru", "<b>How many places?</b>"))
    for typed in ("0", "10000000", "много"):
        await olga.send(typed)
        await wait_text(
            olga,
            ru("Please type a number from 1 to {max}, or skip if there is no limit.", max=5000),
        )
    await olga.send("25")
    preview = await wait_text(olga, ru("Preview"))
    kept = "Форум " + "о мире и согласии " * 8
    assert kept[:100] in preview.text and kept.strip() not in preview.text
    assert ru("Places: {count}", count=25) in preview.text
    assert "https://meet.example.org/x" in preview.text and "1 ч 30 мин" in preview.text
    # Nothing was published: she cancels, and is asked first.
    await olga.press("✖ " + ru("Cancel"))
    await wait_text(olga, ru("Discard this draft? What you entered will be deleted."))
    await olga.press("🗑 " + ru("Yes, discard"))
    await wait_text(olga, ru("Main menu"))
    assert not any(e.action == "event.published" for e in await audit_entries(bot.application.db))
