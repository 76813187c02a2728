"""The community's fixed lists: regions, who a member is, interests. Names are msgids, shown
through the reader's translator (terms from ../shared/GLOSSARY.md)."""

from __future__ import annotations

from functools import cache

from bot.i18n import LANGUAGES, N_, gettext_in

# The seven oblasts and the two cities of republican significance (Osh city and Osh Region
# are separate).
REGIONS: dict[str, str] = {
    "batken": N_("Batken Region"),
    "chuy": N_("Chuy Region"),
    "issyk_kul": N_("Issyk-Kul Region"),
    "jalal_abad": N_("Jalal-Abad Region"),
    "naryn": N_("Naryn Region"),
    "osh_region": N_("Osh Region"),
    "talas": N_("Talas Region"),
    "bishkek": N_("Bishkek (city)"),
    "osh_city": N_("Osh (city)"),
}

OCCUPATIONS: dict[str, str] = {
    "deputy": N_("Local kenesh deputy"),
    "ngo": N_("Civil-society or NGO leader"),
    "state": N_("State or municipal employee"),
    "gender_expert": N_("Gender expert"),
    "activist": N_("Activist or community leader"),
    "other": N_("Other"),
}

INTERESTS: dict[str, str] = {
    "human_rights": N_("Human rights"),
    "leadership": N_("Women's leadership, politics"),
    "anti_corruption": N_("Anti-corruption"),
    "peace": N_("Peacebuilding and UNSCR 1325"),
    "violence": N_("Preventing violence"),
    "trafficking": N_("Preventing trafficking"),
    "closed_institutions": N_("Rights in closed institutions"),
    "local_government": N_("Local and e-government"),
}

NOTIFY_EVENTS = ("region", "all", "none")

# Why a membership request is declined, as an approver picks it (a short button label) and as
# the woman who applied reads it, in her language. An approver may also write her own words.
DECLINE_REASONS: dict[str, tuple[str, str]] = {
    "unconfirmed": (
        N_("Could not confirm who she is"),
        N_("The coordinators could not confirm who you are."),
    ),
    "incomplete": (
        N_("Details incomplete"),
        N_("The details you sent were incomplete or unclear."),
    ),
    "not_member": (
        N_("Not for this community"),
        N_("The community is for women leaders working in the regions of Kyrgyzstan."),
    ),
}


# Words that name the kind of place rather than the place; dropped when matching typed names.
_REGION_WORDS = {
    "region",
    "oblast",
    "city",
    "облусу",
    "область",
    "обл",
    "город",
    "г",
    "шаары",
    "шаар",
}
_CITY_WORDS = {"city", "город", "г", "шаары", "шаар"}
_FOLD = str.maketrans({"ü": "u", "ö": "o", "ң": "н", "ү": "у", "ө": "о", "ё": "е", "-": " "})


def _words(text: str) -> list[str]:
    folded = text.casefold().translate(_FOLD)
    return "".join(ch if ch.isalnum() or ch.isspace() else " " for ch in folded).split()


@cache
def _region_names() -> dict[str, set[tuple[str, ...]]]:
    """Each region's names in every language, as word tuples without the kind of place."""
    names: dict[str, set[tuple[str, ...]]] = {code: {(code.replace("_", " "),)} for code in REGIONS}
    for code, msgid in REGIONS.items():
        for lang in LANGUAGES:
            words = tuple(w for w in _words(gettext_in(lang, msgid)) if w not in _REGION_WORDS)
            names[code].add(words)
    names["osh_city"].add(("osh", "city"))
    return names


def match_region(text: str) -> str | None:
    """The region a typed name means ("Нарын", "naryn", "Ош шаары"), or None when it names no
    region or more than one ("Ош" alone: the city or the region)."""
    words = _words(text)
    city = any(w in _CITY_WORDS for w in words)
    core = tuple(w for w in words if w not in _REGION_WORDS)
    if not core:
        return None
    found = {code for code, names in _region_names().items() if core in names}
    if len(found) > 1:
        wanted = "osh_city" if city else None
        regional = any(w in {"region", "oblast", "облусу", "область", "обл"} for w in words)
        if regional:
            wanted = "osh_region"
        return wanted if wanted in found else None
    return found.pop() if found else None
