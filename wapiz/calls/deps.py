from typing import Annotated

from fastapi import Depends

from wapiz.calls.service import CallService
from wapiz.devices.deps import DeviceReads


async def call_service(devices: DeviceReads) -> CallService:
    return CallService(devices)


Calls = Annotated[CallService, Depends(call_service)]
