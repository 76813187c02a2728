"""Expected texts, looked up through the catalogs by msgid.

Tests never spell out a translation: they ask for the msgid in her language, so improving a
translation never breaks a test. What comes back is what she reads on her screen: translated,
placeholders filled, HTML tags dropped and entities unescaped.

    await wait_text(user, tr("ky", "<b>What is it about?</b>"))
    await user.press("✔ " + tr("ky", "Done"))
    await wait_text(user, part("ru", "Added to {ref}. Send more, or tap “Done”."))
"""

from __future__ import annotations

import html
import re
import string
from functools import cache

from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, load_catalog

TAG_RE = re.compile(r"</?[a-zA-Z][^>]*>")


def plain(text: str) -> str:
    """HTML as it reads on a screen."""
    return html.unescape(TAG_RE.sub("", text))


def _translate(lang: str, msgid: str) -> str:
    """The catalog's text; a msgid that is not in the catalogs fails the test (gettext would
    quietly give the msgid back, and a test would wait for a text the bot never sends). The
    English catalog leaves its texts empty (the msgid is the text), so the Russian one, which
    a test keeps complete, tells whether the msgid exists."""
    if msgid not in load_catalog("ru")._catalog:
        raise LookupError(f"not a msgid of the catalogs: {msgid!r}")
    return load_catalog(lang).gettext(msgid)


def tr(lang: str, msgid: str, **values: object) -> str:
    """`msgid` in `lang`, with `values` filled in (escaped, as the bot does), as she reads it."""
    text = _translate(lang, msgid)
    if values:
        text = text.format(**{k: _escaped(v) for k, v in values.items()})
    return plain(text)


def _escaped(value: object) -> object:
    return html.escape(value, quote=False) if isinstance(value, str) else value


def en(msgid: str, **values: object) -> str:
    """`msgid` in English (the msgid itself, checked to be one), with `values` filled in."""
    return tr("en", msgid, **values)


def ntr(lang: str, singular: str, plural: str, n: int, **values: object) -> str:
    """A counted text (`n` fills {count} unless given)."""
    values.setdefault("count", n)
    text = load_catalog(lang).ngettext(singular, plural, n)
    return plain(text.format(**{k: _escaped(v) for k, v in values.items()}))


def part(lang: str, msgid: str) -> str:
    """The longest piece of `msgid` in `lang` without a placeholder: for waiting on a message
    whose placeholders a test does not know."""
    pieces = [
        literal
        for literal, _name, _spec, _conv in string.Formatter().parse(_translate(lang, msgid))
    ]
    candidates = [p for piece in pieces for p in plain(piece).split("\n")]
    return max(candidates, key=len).strip()


@cache
def _msgids() -> tuple[str, ...]:
    with (LOCALES_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        catalog = read_po(fp)
    return tuple(m.id for m in catalog if isinstance(m.id, str) and m.id)


def head(lang: str, start: str) -> str:
    """The first line, as she reads it, of the one message whose msgid begins with `start`:
    for waiting on long messages without spelling them out."""
    found = [msgid for msgid in _msgids() if msgid.startswith(start)]
    if len(found) != 1:
        raise LookupError(f"{len(found)} msgids begin with {start!r}")
    first = plain(load_catalog(lang).gettext(found[0])).split("\n")[0]
    return max(first.split("{"), key=len).split("}")[-1].strip() if "{" in first else first
