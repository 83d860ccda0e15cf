"""The label routes' service, built from the request."""

from typing import Annotated

from fastapi import Depends, Request

from wapiz.accounts.deps import CurrentUser
from wapiz.devices.deps import reader_for
from wapiz.labels.service import LabelService


async def label_service(request: Request, user: CurrentUser) -> LabelService:
    return LabelService(reader_for(request, user))


Labels = Annotated[LabelService, Depends(label_service)]
