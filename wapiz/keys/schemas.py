import uuid
from typing import Annotated

from pydantic import Field

from wapiz.kit.schemas import ApiInput, ApiModel, Timestamp, text

KeyName = Annotated[str, text(strip=True, min_length=1, max_length=100)]


class KeyCreate(ApiInput):
    name: KeyName = Field(description="What the key is for, e.g. the server that uses it.")
    device_public_id: uuid.UUID | None = Field(
        None, alias="deviceId", description="Limit the key to this device (its public "
        "`deviceId`); null: every device of the account.")


class KeyOut(ApiModel):
    id: uuid.UUID
    name: str
    device_public_id: uuid.UUID | None = Field(
        alias="deviceId", description="The one device the key reaches; null: every device "
        "of the account.")
    prefix: str = Field(description="The key's first characters, to recognise it by.",
                        examples=["wpz_AbCd1234"])
    created_at: Timestamp
    last_used_at: Timestamp | None = Field(description="Updated at most once a minute.")


class KeyCreated(KeyOut):
    key: str = Field(description="The whole key: shown only in this answer. Send it as "
                     "`Authorization: Bearer <key>` or `X-Api-Key: <key>`.")


class KeyList(ApiModel):
    items: list[KeyOut]
