"""The community's fixed lists: regions, who a member is, interests. Names are msgids, shown
through the reader's translator (terms from ../shared/GLOSSARY.md)."""

from __future__ import annotations

from bot.i18n import N_

# The seven oblasts and the two cities of republican significance (Osh city and Osh Region
# are separate).
REGIONS: dict[str, str] = {
    "batken": N_("Batken Region"),
    "chuy": N_("Chüy Region"),
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
    "state": N_("State or local self-government employee"),
    "gender_expert": N_("Gender expert"),
    "activist": N_("Activist or community leader"),
    "other": N_("Other"),
}

INTERESTS: dict[str, str] = {
    "human_rights": N_("Human rights"),
    "leadership": N_("Women's leadership and political participation"),
    "anti_corruption": N_("Anti-corruption"),
    "peace": N_("Peacebuilding and UNSCR 1325"),
    "violence": N_("Preventing violence"),
    "trafficking": N_("Preventing trafficking"),
    "closed_institutions": N_("Rights in closed institutions"),
    "local_government": N_("Local self-government and e-government"),
}

NOTIFY_EVENTS = ("region", "all", "none")
