"""The stories route's service, built from the request."""

from typing import Annotated

from fastapi import Depends, Request

from wapiz.accounts.deps import CurrentUser
from wapiz.messages.deps import sends_for
from wapiz.stories.service import StoryService


async def story_service(request: Request, user: CurrentUser) -> StoryService:
    return StoryService(request.app.state.database, user, sends_for(request, user))


Stories = Annotated[StoryService, Depends(story_service)]
