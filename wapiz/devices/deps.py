from typing import Annotated

from fastapi import Depends, Request

from wapiz.accounts.deps import CurrentUser
from wapiz.accounts.principal import Principal
from wapiz.devices.reader import DeviceReader
from wapiz.devices.service import DeviceService
from wapiz.http.deps import SessionDep


async def device_service(request: Request, user: CurrentUser, session: SessionDep) -> DeviceService:
    """The caller's devices, for changes in the request's transaction."""
    state = request.app.state
    return DeviceService(session, state.settings, user, state.status_cache)


def reader_for(request: Request, user: Principal) -> DeviceReader:
    state = request.app.state
    return DeviceReader(state.database, state.settings, user, state.status_cache)


async def device_reader(request: Request, user: CurrentUser) -> DeviceReader:
    """The caller's devices, for reads and waits that need no request transaction."""
    return reader_for(request, user)


Devices = Annotated[DeviceService, Depends(device_service)]
DeviceReads = Annotated[DeviceReader, Depends(device_reader)]
