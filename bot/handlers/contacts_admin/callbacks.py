"""The buttons of /setcontacts. A line is named by its place in the list and a short mark of
its id (help_contacts.line_tag): a button of a line that has since moved or gone no longer
matches, and the list is shown again instead."""

from __future__ import annotations

from bot.callbacks import Callback, Field, choice

INDEX = Field(r"\d{1,3}", int)
TAG = Field(r"[0-9a-f]{6}")
# The questions of a line that can be changed one at a time.
FIELDS = ("number", "name_ky", "name_ru", "name_en", "categories", "regions")

DIRECTORY = Callback("hc:dir")  # the list of help lines
LINE = Callback("hc:line", INDEX, TAG)  # one line, with its buttons
EDIT = Callback("hc:edit", INDEX, TAG, choice(FIELDS))  # change one answer of a line
EMERGENCY = Callback("hc:sos", INDEX, TAG)  # shown at once in danger, or not
REMOVE = Callback("hc:rm", INDEX, TAG, choice(("ask", "yes")))
ADD = Callback("hc:add")  # a new line (a short form)
CHECKED = Callback("hc:ok")  # the numbers were checked
FILE = Callback("hc:file")  # the whole directory as a file, and a new one back
