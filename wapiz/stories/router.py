"""A device's status posts (stories)."""

from fastapi import APIRouter, status

from wapiz.accounts.deps import TokenFirstRoute
from wapiz.kit.schemas import error_responses
from wapiz.messages.schemas import MessageOut
from wapiz.stories.deps import Stories
from wapiz.stories.schemas import StoryIn

# Token-first: a caller without a token gets 401 before any of its body is read.
router = APIRouter(prefix="/api/devices", tags=["stories"], route_class=TokenFirstRoute)


@router.post("/{id}/stories", status_code=status.HTTP_202_ACCEPTED,
             responses=error_responses(401, 404, 413),
             summary="Post a status (story): a text with a background and font, an image or "
             "a video, queued like a send to status@broadcast")
async def post_story(id: str, body: StoryIn, stories: Stories) -> MessageOut:
    return await stories.post(id, body)
