"""Labels (WhatsApp Business): the account's labels, and the labels on a chat."""

from typing import Any

from wapiz.devices.requests import LIST_LABELS, SET_CHAT_LABELS
from wapiz.engines.base import EngineSession
from wapiz.workers.runner.calls.base import SessionCall


async def list_labels(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    return {"labels": [{"id": label.id, "name": label.name, "color": label.color,
                        "chats": list(label.chats)} for label in await session.labels()]}


async def set_chat_labels(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    await session.set_chat_labels(str(payload["chat"]), [str(i) for i in payload["labels"]])
    return {}


CALLS: dict[str, SessionCall] = {
    LIST_LABELS: list_labels,
    SET_CHAT_LABELS: set_chat_labels,
}
