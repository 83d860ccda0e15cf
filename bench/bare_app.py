"""The baseline: a bare FastAPI handler of the same shape as GET /api/devices/:id/status.

Same route, same response model and JSON, served by the same uvicorn settings; no token
check and no database. The gateway's figure is read as a ratio to this one.
"""

from fastapi import FastAPI

from wapiz.devices.status import DeviceStatus

app = FastAPI()


@app.get("/api/devices/{id}/status")
async def device_status(id: str) -> DeviceStatus:
    return DeviceStatus(connected=True, logged_in=True, status="logged_in",
                        phone="6281234567890")
