"""The keys of `context.user_data` (and of `chat_data`, at the end), named in one place.

`user_data` is persisted (encrypted) by bot/persistence.py. Every feature that keeps something
there names its key here, so that two features never share a key by accident and erasure
(/leave) knows what there is.
"""

from __future__ import annotations

CONVERSATION = "conversation"  # the name of her current conversation (bot/conversation.py)
JOIN_DRAFT = "join"  # the /join draft and /profile edits
REPORT_DRAFT = "report"  # the /report draft
REPORT_WIPE = "report_wipe"  # message ids of sent reports, for "remove from my phone"
REPORT_ADDING = "report_adding"  # /myreports: the report she is adding to
REPORT_ADDING_SINCE = "report_adding_since"
REPORT_ANNOUNCED = "report_announced"
REPLY_COMPOSE = "rep_compose"  # a coordinator's reply or note being written
REPORT_LIST = "rep_list"  # the coordinator's current filters on /reports
RESOLUTION_LANG = "setresolution_lang"  # /setresolution: the language being uploaded
EVENT_DRAFT = "newevent"  # the /newevent draft
EVENT_EDIT = "eventedit"  # an organiser's changes to an event, until she saves them
EVENT_CANCEL = "eventcancel"  # calling an event off: the reason
EVENT_MESSAGE = "eventmsg"  # a message to those going
EVENT_OUTCOME = "eventoutcome"  # the outcome of an event
ANNOUNCEMENT_DRAFT = "announcement"  # /broadcast: the announcement being composed
ANNOUNCEMENT_WHEN = "announcement_when"  # /broadcast: the moment being chosen for one

# chat_data of a group chat
GROUP_NOTICE_SENT = "private_only_notice_sent"  # the bot said once that it works in private only
