"""/api/devices/:id/presence, /presence/subscribe and /chats/:chat/presence (the chats
domain has the other chat routes). Each asks the device's live session."""

from typing import Annotated

from fastapi import APIRouter, Path

from wapiz.accounts.deps import TokenFirstRoute
from wapiz.kit.schemas import ErrorBody, OkBody, error_responses
from wapiz.presence.deps import Presences
from wapiz.presence.schemas import ChatPresenceIn, PresenceIn, SubscribeIn

router = APIRouter(prefix="/api/devices", tags=["presence"], route_class=TokenFirstRoute)

LIVE = {
    **error_responses(401, 404, 409, 422, 501, 502),
    503: {"model": ErrorBody, "description": "The session did not answer; see Retry-After."},
}


@router.post("/{id}/presence", responses=LIVE,
             summary="Show the number online (available) or offline to its contacts")
async def set_presence(id: str, body: PresenceIn, presences: Presences) -> OkBody:
    await presences.set_presence(id, body.presence == "available")
    return OkBody()


@router.post("/{id}/presence/subscribe", responses=LIVE,
             summary="Hear of a number's presence (presence.updated events)")
async def subscribe_presence(id: str, body: SubscribeIn, presences: Presences) -> OkBody:
    await presences.subscribe(id, body.phone)
    return OkBody()


@router.post("/{id}/chats/{chat}/presence", responses=LIVE,
             summary='Show "typing…" or "recording…" in a chat, or stop (paused)')
async def chat_presence(id: str, chat: Annotated[str, Path(max_length=128)], body: ChatPresenceIn,
                        presences: Presences) -> OkBody:
    await presences.chat_presence(id, chat, body.state)
    return OkBody()
