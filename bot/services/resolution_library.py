"""Which text of the resolution is in force for a language: the newest published version, or
the built-in one. Parsed texts are cached by version."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from bot.services.resolution import Resolution, builtin_source, parse
from db.engine import Database
from db.resolution import current_version, version_source

# The English text is the published original; the built-in Russian and Kyrgyz texts are our own
# translations and carry the "unofficial translation" label until a coordinator marks one official.
BUILTIN_OFFICIAL = frozenset({"en"})


@dataclass(frozen=True, slots=True)
class CurrentText:
    resolution: Resolution
    version_id: int | None  # None: the built-in text
    official: bool

    @property
    def lang(self) -> str:
        return self.resolution.lang

    @property
    def cache_key(self) -> str:
        """Identifies this exact text, e.g. for the file_id of its downloaded document."""
        version = self.version_id if self.version_id is not None else "builtin"
        return f"resolution:{self.lang}:{version}:{self.resolution.sha256[:16]}"


@cache
def builtin(lang: str) -> Resolution:
    return parse(builtin_source(lang), lang)


# Parsed published texts, by (version id, sha256): the hash keeps two databases (e.g. tests)
# that reuse an id from sharing an entry.
_parsed: dict[tuple[int, str], Resolution] = {}


async def current_text(db: Database, lang: str) -> CurrentText:
    version = await current_version(db, lang)
    if version is None:
        return CurrentText(builtin(lang), None, lang in BUILTIN_OFFICIAL)
    key = (version.id, version.sha256)
    resolution = _parsed.get(key)
    if resolution is None:
        resolution = parse(await version_source(db, version.id), lang)
        _parsed[key] = resolution
    return CurrentText(resolution, version.id, version.official)
