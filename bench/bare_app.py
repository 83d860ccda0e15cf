"""The baselines: bare FastAPI handlers of the same shape as WAPIZ's routes.

Same routes, same request and response models and JSON, served by the same uvicorn
settings; no token check and no database. The gateway's figures are read as ratios to
these.
"""

import uuid

from fastapi import FastAPI, status

from wapiz.db.base import utc_now
from wapiz.devices.status import DeviceStatus
from wapiz.engines.base import new_message_id
from wapiz.messages.schemas import MessageIn, MessageOut

app = FastAPI()


@app.get("/api/devices/{id}/status")
async def device_status(id: str) -> DeviceStatus:
    return DeviceStatus(connected=True, logged_in=True, status="logged_in",
                        phone="6281234567890")


@app.post("/api/messages", status_code=status.HTTP_202_ACCEPTED)
async def send_message(body: MessageIn) -> MessageOut:
    now = utc_now()
    return MessageOut(id=uuid.uuid4(), device_public_id=body.device_public_id,
                      direction="outbound", to=body.to, chat=f"{body.to}@s.whatsapp.net",
                      type=body.type, text=body.text, status="queued",
                      wa_message_id=new_message_id(), created_at=now, send_at=now)
