"""Chats on the linked device: read receipts for a chat, archive/pin/mute, delete."""

from typing import Any

from wapiz.devices.requests import CHANGE_CHAT, DELETE_CHAT, MARK_CHAT_READ
from wapiz.engines.base import ChatStateChange, EngineSession
from wapiz.workers.runner.calls.base import SessionCall


async def mark_chat_read(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    """A receipt per sender (in a group, each sender's messages are theirs to be told of)."""
    chat = str(payload["chat"])
    for sender, ids in dict(payload["senders"]).items():
        await session.mark_read(chat, str(sender), [str(i) for i in ids])
    return {}


async def change_chat(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    await session.change_chat(str(payload["chat"]), ChatStateChange.from_json(payload))
    return {}


async def delete_chat(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    await session.delete_chat(str(payload["chat"]))
    return {}


CALLS: dict[str, SessionCall] = {
    MARK_CHAT_READ: mark_chat_read,
    CHANGE_CHAT: change_chat,
    DELETE_CHAT: delete_chat,
}
