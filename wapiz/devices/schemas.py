import uuid
from typing import Annotated

from pydantic import Field, StrictBool, StrictInt, field_serializer, field_validator

from wapiz.devices.models import DEFAULT_LABEL
from wapiz.kit.addresses import mask_credentials, proxy_url
from wapiz.kit.phones import PhoneNumber
from wapiz.kit.schemas import ApiInput, ApiModel, Timestamp, text
from wapiz.kit.text import Text
from wapiz.kit.validation import invalid

Label = Annotated[str, text(strip=True, max_length=100)]
ProxyUrl = Annotated[str, text(max_length=512)]
RejectMessage = Annotated[str, text(max_length=1000)]
INVALID_PROXY = Text(
    "proxy harus URL http://, https:// atau socks5:// dengan host dan port (1-65535), tanpa "
    "path atau query, mis. socks5://127.0.0.1:1080",
    "proxy must be an http://, https:// or socks5:// URL with a host and a port (1-65535), "
    "without a path or query, e.g. socks5://127.0.0.1:1080")


class DeviceOut(ApiModel):
    id: uuid.UUID = Field(description="The device's resource id, for /api/devices/:id.")
    user_id: uuid.UUID
    public_id: uuid.UUID = Field(alias="deviceId",
                                 description="Names the device in every message operation.")
    label: str
    webhook_url: str | None
    created_at: Timestamp


class DeviceCreate(ApiInput):
    label: Label | None = Field(None, description=f'Device name (default: "{DEFAULT_LABEL}").')


class DeviceRename(ApiInput):
    label: Annotated[str, text(strip=True, min_length=1, max_length=100)] = Field(
        description="The device's new name.")


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
    reject_calls: bool = Field(description="Decline every incoming call at once.")
    reject_calls_message: str | None = Field(
        description="Sent to the caller after a call is declined (null: nothing).")
    history_sync: bool = Field(description="When the device links, take in the chats' past "
                               "messages the phone sends (no message.received events for "
                               "them; a chat.updated per chat).")
    history_sync_days: int = Field(description="How many days back a history sync reaches.")

    @field_serializer("proxy")
    def _password_masked(self, proxy: str | None) -> str | None:
        # Never shown back; sending the masked URL back unchanged keeps the stored password.
        return mask_credentials(proxy) if proxy else None


class DeviceSettingsIn(ApiInput):
    """Only the fields given change; null sets a field back to its default."""

    proxy: ProxyUrl | None = Field(
        None, description='http(s):// or socks5:// URL; null or "" clears it. '
        "Loopback, private, link-local and similar addresses are refused (422 proxy_refused) "
        "unless the server sets WAPIZ_PROXY_ALLOW_PRIVATE. The URL as GET shows it (password "
        "masked) keeps the stored password.",
        examples=["socks5://user:pass@proxy.example.com:1080"],
    )

    min_delay_ms: StrictInt | None = Field(None, ge=0, le=3_600_000,
                                           description="null: the default, 1000.")
    max_delay_ms: StrictInt | None = Field(None, ge=0, le=3_600_000,
                                           description="null: the default, 3000.")
    typing: StrictBool | None = Field(None, description="null: the default, true.")
    per_minute: StrictInt | None = Field(None, ge=1, le=10_000,
                                         description="null removes the cap (the default).")
    reject_calls: StrictBool | None = Field(
        None, description="Decline every incoming call (call.received says so); null: the "
        "default, false.")
    reject_calls_message: RejectMessage | None = Field(
        None, description='A text for the caller after a declined call, queued like any send; '
        'null or "" sends none.')

    @field_validator("reject_calls_message")
    @classmethod
    def _message(cls, message: str | None) -> str | None:
        return message if message and message.strip() else None
    history_sync: StrictBool | None = Field(
        None, description="null: the default, false. Set before linking: WhatsApp sends the "
        "history once, when the device links.")
    history_sync_days: StrictInt | None = Field(None, ge=1, le=365,
                                                description="null: the default, 30.")

    @field_validator("proxy")
    @classmethod
    def _proxy(cls, url: str | None) -> str | None:
        if not url or not url.strip():
            return None
        try:
            return proxy_url(url)
        except ValueError:  # net.py says why in English: ours says it in both languages
            raise invalid("invalid_proxy", INVALID_PROXY) from None


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
