"""The overview's service, built from the request."""

from typing import Annotated

from fastapi import Depends

from wapiz.accounts.deps import CurrentUser
from wapiz.http.deps import SessionDep
from wapiz.overview.service import OverviewService


async def overview_service(user: CurrentUser, session: SessionDep) -> OverviewService:
    return OverviewService(session, user)


Overview = Annotated[OverviewService, Depends(overview_service)]
