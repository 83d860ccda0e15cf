"""Posting a status (story): the device's message to status@broadcast, accepted and
queued as any send is (messages/accept.py: files fetched or decoded, the device's queue,
its pacing), with a text status's background and font kept beside it."""

from wapiz.accounts.principal import Principal
from wapiz.db.database import Database
from wapiz.devices.reader import DEVICE_NOT_FOUND, device_uuid
from wapiz.devices.repository import DeviceRepository
from wapiz.engines.content import StoryStyle
from wapiz.kit.errors import NotFound
from wapiz.kit.jids import STATUS_BROADCAST
from wapiz.messages.accept import SendService
from wapiz.messages.schemas import MessageIn, MessageOut
from wapiz.stories.schemas import StoryIn


class StoryService:
    def __init__(self, database: Database, user: Principal, sends: SendService) -> None:
        self.database = database
        self.user = user
        self.sends = sends

    async def post(self, raw_device_id: str, body: StoryIn) -> MessageOut:
        async with self.database.session_scope() as session:
            device = await DeviceRepository.for_caller(session, self.user).get(
                device_uuid(raw_device_id))
        if device is None:
            raise NotFound(DEVICE_NOT_FOUND, code="device_not_found")
        send = MessageIn.model_validate({
            "deviceId": device.public_id, "to": STATUS_BROADCAST, "type": body.type,
            "text": body.text, "mediaUrl": body.media_url, "media": body.media,
            "mimetype": body.mimetype})
        style = (StoryStyle(body.background_argb(), body.font)
                 if body.background_color is not None or body.font is not None else None)
        return await self.sends.send(send, None, story_style=style)
