from typing import Annotated

from fastapi import Depends

from wapiz.devices.deps import DeviceReads
from wapiz.people.service import PeopleService


async def people_service(devices: DeviceReads) -> PeopleService:
    return PeopleService(devices)


People = Annotated[PeopleService, Depends(people_service)]
