"""Groups: what a device's session does for each group request from the API. Payloads and
answers are JSON; group shapes are read and written by engines/groups.py's mappings."""

import base64
from typing import Any

from wapiz.devices.requests import (
    ANSWER_JOIN_REQUESTS,
    CHANGE_GROUP,
    CHANGE_PARTICIPANTS,
    CREATE_GROUP,
    GET_GROUP,
    GROUP_INVITE_LINK,
    GROUP_JOIN_REQUESTS,
    JOIN_GROUP,
    LEAVE_GROUP,
    LIST_GROUPS,
    SET_GROUP_PICTURE,
)
from wapiz.engines.base import EngineSession
from wapiz.engines.groups import GroupSettings
from wapiz.workers.runner.calls.base import SessionCall


def _people(payload: dict[str, Any]) -> list[str]:
    return [str(jid) for jid in payload["participants"]]


async def list_groups(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    return {"groups": [group.to_json() for group in await session.groups()]}


async def get_group(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    return {"group": (await session.group(str(payload["group"]))).to_json()}


async def create_group(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    created = await session.create_group(str(payload["subject"]), _people(payload))
    return {"group": created.to_json()}


async def change_group(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    await session.change_group(str(payload["group"]),
                               GroupSettings.from_json(payload["changes"]))
    return {}


async def set_group_picture(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    picture = base64.b64decode(payload["jpeg"])
    return {"pictureId": await session.set_group_picture(str(payload["group"]), picture)}


async def change_participants(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    results = await session.change_participants(str(payload["group"]), str(payload["action"]),
                                                _people(payload))
    return {"results": [result.to_json() for result in results]}


async def group_invite_link(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    return {"link": await session.invite_link(str(payload["group"]),
                                              reset=bool(payload.get("reset")))}


async def join_group(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    return {"joined": (await session.join_group(str(payload["link"]))).to_json()}


async def leave_group(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    await session.leave_group(str(payload["group"]))
    return {}


async def group_join_requests(session: EngineSession, payload: dict[str, Any]) -> dict[str, Any]:
    asked = await session.join_requests(str(payload["group"]))
    return {"requests": [request.to_json() for request in asked]}


async def answer_join_requests(session: EngineSession,
                               payload: dict[str, Any]) -> dict[str, Any]:
    results = await session.answer_join_requests(str(payload["group"]), str(payload["action"]),
                                                 _people(payload))
    return {"results": [result.to_json() for result in results]}


CALLS: dict[str, SessionCall] = {
    LIST_GROUPS: list_groups,
    GET_GROUP: get_group,
    CREATE_GROUP: create_group,
    CHANGE_GROUP: change_group,
    SET_GROUP_PICTURE: set_group_picture,
    CHANGE_PARTICIPANTS: change_participants,
    GROUP_INVITE_LINK: group_invite_link,
    JOIN_GROUP: join_group,
    LEAVE_GROUP: leave_group,
    GROUP_JOIN_REQUESTS: group_join_requests,
    ANSWER_JOIN_REQUESTS: answer_join_requests,
}
