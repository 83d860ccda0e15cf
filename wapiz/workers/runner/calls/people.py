"""The linked number's profile, its contacts and their LIDs, presence and calls: what a
session does for each of these requests (the API's side is wapiz/people/, presence/, calls/)."""

import base64
from dataclasses import asdict
from typing import Any

from wapiz.devices.requests import (
    BLOCK,
    CHAT_PRESENCE,
    CONTACTS,
    LID_LOOKUP,
    PERSON,
    PROFILE,
    REJECT_CALL,
    SET_PICTURE,
    SET_PRESENCE,
    SET_PROFILE,
    SUBSCRIBE_PRESENCE,
)
from wapiz.engines.base import CHAT_STATES, EngineError, EngineSession
from wapiz.workers.runner.calls.base import SessionCall


async def profile(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    return asdict(await session.profile())


async def set_profile(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    if payload.get("pushName") is not None:
        await session.set_push_name(str(payload["pushName"]))
    if payload.get("about") is not None:
        await session.set_about(str(payload["about"]))
    return {}


async def set_picture(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    await session.set_picture(base64.b64decode(payload["jpeg"]))
    return {}


async def contacts(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    return {"people": [asdict(person) for person in await session.contacts()]}


async def person(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    return asdict(await session.person(str(payload["phone"])))


async def block(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    await session.block(str(payload["phone"]), bool(payload["blocked"]))
    return {}


async def lid_lookup(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    """One way or the other: `lid` → its phone, or `phone` → its LID (None: not known)."""
    if payload.get("lid"):
        lid = str(payload["lid"])
        return {"lid": lid, "phone": await session.phone_of_lid(lid)}
    phone = str(payload["phone"])
    return {"lid": await session.lid_of_phone(phone), "phone": phone}


async def set_presence(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    await session.set_presence(bool(payload["available"]))
    return {}


async def chat_presence(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    state = payload["state"]
    if state not in CHAT_STATES:
        raise EngineError("unsupported", f"unknown chat state {state!r}")
    await session.send_presence(str(payload["chat"]), state)
    return {}


async def subscribe_presence(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    await session.subscribe_presence(str(payload["phone"]))
    return {}


async def reject_call(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    await session.reject_call(str(payload["callId"]), str(payload["caller"]))
    return {}


CALLS: dict[str, SessionCall] = {
    PROFILE: profile,
    SET_PROFILE: set_profile,
    SET_PICTURE: set_picture,
    CONTACTS: contacts,
    PERSON: person,
    BLOCK: block,
    LID_LOOKUP: lid_lookup,
    SET_PRESENCE: set_presence,
    CHAT_PRESENCE: chat_presence,
    SUBSCRIBE_PRESENCE: subscribe_presence,
    REJECT_CALL: reject_call,
}
