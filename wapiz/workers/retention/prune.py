"""Retention, run by every runner: webhook deliveries finished more than
WAPIZ_WEBHOOK_RETENTION_DAYS ago are deleted, events older than WAPIZ_EVENT_RETENTION_DAYS
that no delivery needs too, the bytes of files older than WAPIZ_MEDIA_RETENTION_DAYS dropped,
and the media store's objects no row names any more deleted (deliveries.py, events.py,
media.py). Shortly after start, then every ten minutes; several runners doing it at once is
harmless.
"""

import asyncio
import logging
from datetime import datetime, timedelta

from wapiz.config import Settings
from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.messages.store import MediaStore
from wapiz.workers.retention.deliveries import prune_deliveries
from wapiz.workers.retention.events import prune_events
from wapiz.workers.retention.media import delete_unneeded_objects, drop_media_bytes

log = logging.getLogger(__name__)

FIRST_AFTER_S = 30.0  # after start: not in the way of the first connects
EVERY_S = 600.0


async def prune_once(settings: Settings, database: Database, now: datetime,
                     media: MediaStore | None = None) -> None:
    """One pass; `media`: where files' bytes are kept (the database by default)."""
    await prune_deliveries(database, now - timedelta(days=settings.webhook_retention_days))
    await prune_events(database, now - timedelta(days=settings.event_retention_days))
    if settings.media_retention_days:  # 0: kept for ever
        await drop_media_bytes(database, now - timedelta(days=settings.media_retention_days))
    # Whatever the retention: a deleted device's objects and repeated files' go too.
    await delete_unneeded_objects(database, media or MediaStore())


async def prune_forever(settings: Settings, database: Database,
                        media: MediaStore | None = None) -> None:
    """Until cancelled; a failed pass (a media store that is down, say) is logged and tried
    again at the next."""
    await asyncio.sleep(FIRST_AFTER_S)
    while True:
        try:
            await prune_once(settings, database, utc_now(), media)
        except Exception:
            log.exception("retention: pruning failed; trying again in %d s", EVERY_S)
        await asyncio.sleep(EVERY_S)
