from typing import Annotated

from fastapi import Depends, Request

from wapiz.accounts.deps import CurrentUser
from wapiz.deps import SessionDep, SettingsDep
from wapiz.devices.service import DeviceService


def device_service(
    request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> DeviceService:
    return DeviceService(session, settings, user, request.app.state.status_cache)


Devices = Annotated[DeviceService, Depends(device_service)]
