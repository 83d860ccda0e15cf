"""Labels through the device's live session (devices.live.ask_live): the sandbox keeps them
per account; whatsmeow through neonize 0.5.2 has no label calls (501)."""

from wapiz.devices.live import ask_live
from wapiz.devices.reader import DeviceReader
from wapiz.devices.requests import LIST_LABELS, SET_CHAT_LABELS
from wapiz.kit.errors import InvalidInput
from wapiz.labels.schemas import ChatLabelsIn, ChatLabelsOut, LabelOut, LabelsOut
from wapiz.messages.recipients import InvalidRecipient, recipient


class LabelService:
    def __init__(self, devices: DeviceReader) -> None:
        self.devices = devices

    async def labels(self, raw_device_id: str) -> LabelsOut:
        answer = await ask_live(self.devices, raw_device_id, LIST_LABELS, {})
        return LabelsOut(labels=[LabelOut.model_validate(label) for label in answer["labels"]])

    async def set_chat_labels(self, raw_device_id: str, raw_chat: str,
                              body: ChatLabelsIn) -> ChatLabelsOut:
        await self.devices.get(raw_device_id)  # another account's device: 404, whatever the chat
        try:  # a chat as people write it: a phone number, or a group id
            chat = recipient(raw_chat, self.devices.settings.default_country_code).chat
        except InvalidRecipient as exc:
            raise InvalidInput(exc.text, code="invalid_chat") from None
        labels = sorted(set(body.labels))
        await ask_live(self.devices, raw_device_id, SET_CHAT_LABELS,
                       {"chat": chat, "labels": labels})
        return ChatLabelsOut(chat=chat, labels=labels)
