"""What the runner writes for each kind of `Notice` an engine reports (engines/events.py):
one module per subject, each with its `NOTICES` table (the notice's class → a function
that writes its rows and events through the device's rows, in one fenced transaction);
this package joins them. A notice of a kind no table names is logged and dropped."""

from wapiz.workers.runner.notices import chats, groups, people
from wapiz.workers.runner.notices.base import NoticeRows, NoticeWriter

NOTICES: dict[type, NoticeWriter] = {**chats.NOTICES, **groups.NOTICES, **people.NOTICES}

__all__ = ["NOTICES", "NoticeRows", "NoticeWriter"]
