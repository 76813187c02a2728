"""What the buttons of events carry (the menu entry is bot.callbacks.EVENTS_MENU)."""

from __future__ import annotations

from bot.callbacks import CODE, ID, PAGE, Callback, choice
from bot.services.events import ANSWERS, PERIODS

SCOPES = ("mine", "all")  # the list: her region (and the whole country's), or every region

LIST = Callback("ev:l", choice(SCOPES), PAGE)
OPEN = Callback("ev:o", ID)
RSVP = Callback("ev:r", ID, choice(ANSWERS))
ICS = Callback("ev:ics", ID)
WHO = Callback("ev:who", ID)
EDIT = Callback("ev:ed", ID)
CALL_OFF = Callback("ev:cx", ID)
MESSAGE = Callback("ev:msg", ID)
OUTCOME = Callback("ev:out", ID)
# The coordinators' report: events with outcomes by region ("all", "country" or a region's
# code, checked when pressed) and period; the region picker; the CSV file.
REPORT = Callback("ev:rep", CODE, choice(PERIODS))
REPORT_REGIONS = Callback("ev:rr", choice(PERIODS))
REPORT_CSV = Callback("ev:csv", CODE, choice(PERIODS))
