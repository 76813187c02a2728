"""The buttons of /roles: what each one carries, built and parsed here. The person a button
names, and the regions it carries, are checked again when it is pressed."""

from __future__ import annotations

from bot.callbacks import USER_ID, Callback, Field, choice
from bot.services.community import REGIONS

# Bit i of a region mask in callback data stands for REGION_CODES[i].
REGION_CODES: tuple[str, ...] = tuple(REGIONS)
MASK = Field(r"\d{1,3}", int)

HOME = Callback("roles:home")  # a new search
IN_REGION = Callback("roles:reg", choice(REGION_CODES))  # the members of a region
CARD = Callback("roles:m", USER_ID)  # her card
COORDINATOR = Callback("roles:c", USER_ID)  # make her coordinator, or take it back
LEAD = Callback("roles:l", USER_ID)  # choose the regions she leads
TOGGLE = Callback("roles:t", USER_ID, MASK)  # the choice so far, one region toggled
SAVE = Callback("roles:s", USER_ID, MASK)  # save the regions chosen
MEMBER_ONLY = Callback("roles:n", USER_ID)  # take every role given in chat


def mask_of(regions: frozenset[str]) -> int:
    return sum(1 << i for i, code in enumerate(REGION_CODES) if code in regions)


def regions_of(mask: int) -> frozenset[str] | None:
    """The regions of a mask from callback data; None if it names a region that does not exist."""
    if mask >= 1 << len(REGION_CODES):
        return None
    return frozenset(code for i, code in enumerate(REGION_CODES) if mask & (1 << i))
