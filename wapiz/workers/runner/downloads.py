"""Downloads: an inbound file's bytes, fetched through the session, kept (on its row, or
as an object the row names: messages/store.py)."""

from sqlalchemy import String, exists, literal, select, update

from wapiz.db.results import rows_changed
from wapiz.messages.models import Media
from wapiz.messages.store import delete_later
from wapiz.workers.runner.device_rows import DeviceRows


class Downloads(DeviceRows):
    """Keeping the bytes of a device's inbound files."""

    async def keep_download(self, file: Media, size: int) -> None:
        """Record where the store put `file`'s bytes."""
        # Not onto a file whose bytes retention dropped while it was being downloaded.
        kept = await self.session.execute(
            update(Media).where(Media.id == file.id, Media.device_id == self.device_id,
                                Media.bytes_dropped_at.is_(None), self._held)
            .values(data=file.data, object_key=file.object_key, size=size))
        if not rows_changed(kept) and file.object_key is not None:
            # Written for nothing when no row will want it again (its bytes dropped, its
            # device deleted). Not after a lost lease: the new holder downloads the file
            # again under the same key, which must not be deleted then.
            wanted = exists().where(Media.id == file.id, Media.bytes_dropped_at.is_(None))
            await delete_later(self.session,
                               select(literal(file.object_key, String)).where(~wanted))
