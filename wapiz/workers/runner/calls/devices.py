"""Linking and numbers: a pairing code, which numbers are on WhatsApp, read receipts."""

from typing import Any

from wapiz.devices.requests import CHECK_NUMBERS, MARK_READ, PAIR_PHONE
from wapiz.engines.base import EngineSession
from wapiz.workers.runner.calls.base import SessionCall


async def pair_phone(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    return {"code": await session.pair_phone(str(payload["phone"]))}


async def check_numbers(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    return {"found": await session.check(list(payload["phones"]))}


async def mark_read(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    await session.mark_read(str(payload["chat"]), str(payload["sender"]),
                            [str(i) for i in payload["ids"]])
    return {}


CALLS: dict[str, SessionCall] = {
    PAIR_PHONE: pair_phone,
    CHECK_NUMBERS: check_numbers,
    MARK_READ: mark_read,
}
