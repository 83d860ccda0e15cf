from typing import Annotated

from fastapi import Depends

from wapiz.devices.deps import DeviceReads
from wapiz.presence.service import PresenceService


async def presence_service(devices: DeviceReads) -> PresenceService:
    return PresenceService(devices)


Presences = Annotated[PresenceService, Depends(presence_service)]
