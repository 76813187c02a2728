"""The resolution as structured text: parse, check, split into Telegram-sized pages, render HTML.

The text format (the built-in files in bot/content/resolution/ and coordinators' uploads):

    # Title
    ## preamble | Preamble
    Paragraph. Paragraphs are separated by a blank line. A note marker looks like [1].
    ## p1 | Point 1
    ...
    ## notes | Notes
    [1] The text of note 1.

Section ids are fixed (SECTION_IDS); titles are free. Text is plain: it is escaped when shown.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field

from bot.content import CONTENT_DIR
from bot.text import utf16_len

SECTION_IDS: tuple[str, ...] = (
    "preamble",
    "p1",
    "p2",
    "p3",
    "p4",
    "p5",
    "p6",
    "appeal",
    "participants",
    "notes",
)
POINTS: tuple[str, ...] = tuple(f"p{n}" for n in range(1, 7))
RESOLUTION_DIR = CONTENT_DIR / "resolution"
# Room left in a 4096-unit message for the heading, label and share link around a page body.
PAGE_BODY_LIMIT = 3300
MAX_SOURCE_BYTES = 512 * 1024
# Titles go on buttons, in every page's heading and in the download's caption (≤ 1024).
TITLE_MAX = 200
SECTION_TITLE_MAX = 40

_HEADER_RE = re.compile(r"^##\s+([A-Za-z0-9_-]+)\s*\|\s*(.+?)\s*$")
_NOTE_LINE_RE = re.compile(r"^\[(\d{1,2})\]\s+(.+)$")
_MARKER_RE = re.compile(r"\[(\d{1,2})\]")


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title: str
    paragraphs: tuple[str, ...]

    @property
    def markers(self) -> tuple[int, ...]:
        found: list[int] = []
        for paragraph in self.paragraphs:
            for number in _MARKER_RE.findall(paragraph):
                if int(number) not in found:
                    found.append(int(number))
        return tuple(found)


@dataclass(frozen=True, slots=True)
class Resolution:
    lang: str
    title: str
    sections: tuple[Section, ...]
    notes: dict[int, str] = field(default_factory=dict)
    source: str = ""

    def section(self, section_id: str) -> Section:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.source.encode()).hexdigest()


class ResolutionFormatError(ValueError):
    """The text does not follow the format. `problems` are (code, detail) pairs to explain."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{code}: {detail}" for code, detail in problems))
        self.problems = problems


def decode_upload(data: bytes) -> str:
    """UTF-8 text (a BOM is dropped); anything else is a format problem."""
    if len(data) > MAX_SOURCE_BYTES:
        raise ResolutionFormatError([("too_large", str(MAX_SOURCE_BYTES // 1024))])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ResolutionFormatError([("not_utf8", "")]) from None
    if "\x00" in text:
        # Not a text file; and PostgreSQL cannot store a NUL character in text at all.
        raise ResolutionFormatError([("not_utf8", "")])
    return text


def parse(source: str, lang: str) -> Resolution:
    """Read the text format; raise ResolutionFormatError listing every problem found."""
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    problems: list[tuple[str, str]] = []
    title = ""
    current: tuple[str, str] | None = None
    bodies: dict[str, tuple[str, list[str]]] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith("## "):
            match = _HEADER_RE.match(line)
            if match is None:
                problems.append(("bad_header", str(number)))
                current = None
                continue
            section_id, section_title = match.group(1).lower(), match.group(2)
            if section_id not in SECTION_IDS:
                problems.append(("unknown_section", section_id))
                current = None
            elif section_id in bodies:
                problems.append(("duplicate_section", section_id))
                current = None
            else:
                current = (section_id, section_title)
                bodies[section_id] = (section_title, [])
        elif line.startswith("# ") and not title and current is None:
            title = line[2:].strip()
        elif current is not None:
            bodies[current[0]][1].append(line)
    if not title:
        problems.append(("missing_title", ""))
    elif len(title) > TITLE_MAX:
        problems.append(("title_too_long", str(TITLE_MAX)))
    for section_id, (section_title, _lines) in bodies.items():
        if len(section_title) > SECTION_TITLE_MAX:
            problems.append(("section_title_too_long", section_id))
    for section_id in SECTION_IDS:
        if section_id not in bodies:
            problems.append(("missing_section", section_id))

    sections: list[Section] = []
    notes: dict[int, str] = {}
    for section_id in SECTION_IDS:
        if section_id not in bodies:
            continue
        section_title, lines = bodies[section_id]
        paragraphs = _paragraphs(lines)
        if not paragraphs:
            problems.append(("empty_section", section_id))
        if section_id == "notes":
            for paragraph in paragraphs:
                for note_line in paragraph.split("\n"):
                    match = _NOTE_LINE_RE.match(note_line.strip())
                    if match is None:
                        problems.append(("bad_note", note_line.strip()[:40]))
                    else:
                        notes[int(match.group(1))] = match.group(2).strip()
        sections.append(Section(section_id, section_title, tuple(paragraphs)))

    for section in sections:
        if section.id == "notes":
            continue
        for marker in section.markers:
            if marker not in notes:
                problems.append(("missing_note", str(marker)))
    if problems:
        raise ResolutionFormatError(problems)
    return Resolution(lang=lang, title=title, sections=tuple(sections), notes=notes, source=source)


def _paragraphs(lines: list[str]) -> list[str]:
    paragraphs: list[str] = []
    block: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            block.append(line.strip())
        elif block:
            paragraphs.append("\n".join(block))
            block = []
    return paragraphs


def builtin_source(lang: str) -> str:
    return (RESOLUTION_DIR / f"{lang}.md").read_text(encoding="utf-8")


def builtin_summary(lang: str) -> str:
    return (RESOLUTION_DIR / f"summary.{lang}.md").read_text(encoding="utf-8").strip()


def section_pages(resolution: Resolution, section_id: str) -> list[str]:
    """The section as Telegram HTML bodies, each within PAGE_BODY_LIMIT; split only between
    paragraphs (or, for a single huge paragraph, between sentences). Its notes come last."""
    section = resolution.section(section_id)
    blocks = [html.escape(p) for p in section.paragraphs]
    if section.id != "notes" and section.markers:
        notes = "\n".join(
            f"<i>[{n}] {html.escape(resolution.notes[n])}</i>" for n in section.markers
        )
        blocks.append(notes)
    pages: list[str] = []
    current = ""
    for block in _fit(blocks):
        candidate = f"{current}\n\n{block}" if current else block
        if current and utf16_len(candidate) > PAGE_BODY_LIMIT:
            pages.append(current)
            current = block
        else:
            current = candidate
    if current:
        pages.append(current)
    return pages


def _fit(blocks: list[str]) -> list[str]:
    """Blocks no longer than a page: an over-long paragraph is cut between sentences."""
    fitted: list[str] = []
    for block in blocks:
        if utf16_len(block) <= PAGE_BODY_LIMIT:
            fitted.append(block)
            continue
        piece = ""
        for sentence in re.split(r"(?<=[.;!?])\s+", block):
            while utf16_len(sentence) > PAGE_BODY_LIMIT:  # no sentence break at all: cut words
                cut = sentence.rfind(" ", 0, PAGE_BODY_LIMIT)
                if cut <= 0:
                    cut = PAGE_BODY_LIMIT
                head, sentence = sentence[:cut], sentence[cut:].lstrip()
                if piece:
                    fitted.append(piece)
                    piece = ""
                fitted.append(head)
            candidate = f"{piece} {sentence}" if piece else sentence
            if piece and utf16_len(candidate) > PAGE_BODY_LIMIT:
                fitted.append(piece)
                piece = sentence
            else:
                piece = candidate
        if piece:
            fitted.append(piece)
    return fitted


def render_document(resolution: Resolution, label: str | None) -> bytes:
    """The whole text as one HTML file a phone opens in its browser."""
    lang = resolution.lang

    def with_links(text: str) -> str:
        escaped = html.escape(text).replace("\n", "<br>")
        return _MARKER_RE.sub(r'<sup><a href="#note-\1" id="ref-\1">[\1]</a></sup>', escaped)

    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(resolution.title)}</title>",
        "<style>body{font-family:-apple-system,Roboto,'Segoe UI',Arial,sans-serif;"
        "max-width:42em;margin:1.5em auto;padding:0 1em;line-height:1.55;color:#1b1b1b}"
        "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}"
        ".label{color:#8a4b00;font-style:italic}sup a{text-decoration:none}</style>",
        "</head>",
        "<body>",
        f"<h1>{html.escape(resolution.title)}</h1>",
    ]
    if label:
        parts.append(f'<p class="label">{html.escape(label)}</p>')
    for section in resolution.sections:
        parts.append(f'<h2 id="{section.id}">{html.escape(section.title)}</h2>')
        if section.id == "notes":
            parts.append("<ol>")
            for number in sorted(resolution.notes):
                note = html.escape(resolution.notes[number])
                note = re.sub(r"(https?://[^\s<]+)", r'<a href="\1">\1</a>', note)
                parts.append(f'<li id="note-{number}" value="{number}">{note}</li>')
            parts.append("</ol>")
        else:
            parts.extend(f"<p>{with_links(p)}</p>" for p in section.paragraphs)
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts).encode("utf-8")
