import uuid
from typing import Annotated

from pydantic import Field, StringConstraints, field_serializer, field_validator

from wapiz.devices.models import DEFAULT_LABEL
from wapiz.net import mask_credentials, proxy_url
from wapiz.phones import PhoneNumber
from wapiz.schemas import ApiInput, ApiModel, Timestamp

Label = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


class DeviceOut(ApiModel):
    id: uuid.UUID = Field(description="The device's resource id, for /api/devices/:id.")
    user_id: uuid.UUID
    device_id: uuid.UUID = Field(description="Names the device in every message operation.")
    label: str
    webhook_url: str | None
    created_at: Timestamp


class DeviceCreate(ApiInput):
    label: Label | None = Field(None, description=f'Device name (default: "{DEFAULT_LABEL}").')


class DeviceSettings(ApiModel):
    proxy: str | None = Field(
        description="Proxy for this device's WhatsApp connection (null: the server's "
        "WAPIZ_PROXY, if any); its password shown as ***.",
        examples=["socks5://user:***@proxy.example.com:1080"]
    )
    min_delay_ms: int = Field(description="Shortest pause between two sends.")
    max_delay_ms: int = Field(description="Longest pause between two sends (random between).")
    typing: bool = Field(description='Show "typing…" before sending a text.')
    per_minute: int | None = Field(description="At most this many sends a minute (null: no cap).")

    @field_serializer("proxy")
    def _password_masked(self, proxy: str | None) -> str | None:
        # Never shown back; sending the masked URL back unchanged keeps the stored password.
        return mask_credentials(proxy) if proxy else None


class DeviceSettingsIn(ApiInput):
    """Only the fields given change."""

    proxy: str | None = Field(
        None, max_length=512, description='http(s):// or socks5:// URL; null or "" clears it. '
        "Loopback, private, link-local and similar addresses are refused (422 proxy_refused) "
        "unless the server sets WAPIZ_PROXY_ALLOW_PRIVATE. The URL as GET shows it (password "
        "masked) keeps the stored password.",
        examples=["socks5://user:pass@proxy.example.com:1080"],
    )

    min_delay_ms: int | None = Field(None, ge=0, le=3_600_000)
    max_delay_ms: int | None = Field(None, ge=0, le=3_600_000)
    typing: bool | None = None
    per_minute: int | None = Field(None, ge=1, le=10_000, description="null removes the cap.")

    @field_validator("proxy")
    @classmethod
    def _proxy(cls, url: str | None) -> str | None:
        return proxy_url(url) if url and url.strip() else None

    @field_validator("min_delay_ms", "max_delay_ms", "typing")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be left out, not null")
        return value


class PairIn(ApiInput):
    phone: PhoneNumber = Field(description="The number of the phone that will enter the code.")


class PairOut(ApiModel):
    code: str = Field(description="Type it into WhatsApp: Linked devices → Link with phone "
                      "number.", examples=["ABCD-EFGH"])


class CheckIn(ApiInput):
    phones: list[str] = Field(min_length=1, max_length=100,
                              examples=[["081234567890", "+62 812-0000-0000"]])


class NumberCheck(ApiModel):
    phone: str = Field(description="The number as given.")
    normalized: str | None = Field(description="Its digits, or null if it is not a number.")
    on_whatsapp: bool
    jid: str | None = Field(description="Its WhatsApp id, when on WhatsApp.")


class CheckOut(ApiModel):
    results: list[NumberCheck]
