"""Downloads: an inbound file's bytes, fetched through the session, kept on its row."""

import uuid

from sqlalchemy import update

from wapiz.messages.models import Media
from wapiz.workers.runner.device_rows import DeviceRows


class Downloads(DeviceRows):
    """Keeping the bytes of a device's inbound files."""

    async def keep_download(self, media_id: uuid.UUID, data: bytes) -> None:
        # Not onto a file whose bytes retention dropped while it was being downloaded.
        await self.session.execute(
            update(Media).where(Media.id == media_id, Media.device_id == self.device_id,
                                Media.bytes_dropped_at.is_(None))
            .values(data=data, size=len(data)))
