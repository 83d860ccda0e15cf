from typing import Annotated

from fastapi import Depends, Request

from wapiz.accounts.deps import CurrentUser
from wapiz.deps import SessionDep
from wapiz.devices.service import DeviceService


async def device_service(request: Request, user: CurrentUser, session: SessionDep) -> DeviceService:
    """The caller's devices, in the request's transaction."""
    state = request.app.state
    return DeviceService(session, state.settings, user, state.status_cache)


Devices = Annotated[DeviceService, Depends(device_service)]
