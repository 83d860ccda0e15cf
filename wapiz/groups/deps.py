from typing import Annotated

from fastapi import Depends

from wapiz.devices.deps import DeviceReads
from wapiz.groups.service import GroupService


async def group_service(devices: DeviceReads) -> GroupService:
    """The caller's devices' groups (each asked of the device's live session)."""
    return GroupService(devices)


Groups = Annotated[GroupService, Depends(group_service)]
