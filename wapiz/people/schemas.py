from typing import Annotated

from pydantic import Field

from wapiz.kit.schemas import ApiInput, ApiModel, text

# WhatsApp's own limits: a profile name of 25 characters, an about text of 139.
PushName = Annotated[str, text(strip=True, min_length=1, max_length=25)]
About = Annotated[str, text(max_length=139)]
CONTACT_CURSOR_PATTERN = r"^[0-9A-Za-z@.:_-]{1,128}$"


class ProfileOut(ApiModel):
    phone: str | None = Field(description="The linked number.")
    push_name: str | None = Field(description="The name its contacts see.")
    about: str | None = Field(description="Its about text.")
    picture_url: str | None = Field(description="Where its profile picture can be fetched.")


class ProfileIn(ApiInput):
    """Only the fields given change."""

    push_name: PushName | None = Field(None, description="At most 25 characters.")
    about: About | None = Field(None, description='At most 139 characters ("" clears it).')


class ContactItem(ApiModel):
    phone: str | None = Field(description="Digits; null for a contact WhatsApp names only "
                              "by its LID.")
    jid: str
    lid: str | None
    name: str | None = Field(description="The name in the phone's address book.")
    push_name: str | None = Field(description="The name they gave themselves.")


class ContactPage(ApiModel):
    items: list[ContactItem]
    next_cursor: str | None


class ContactOut(ApiModel):
    phone: str
    jid: str | None = Field(description="null when the number is not on WhatsApp.")
    lid: str | None
    name: str | None
    about: str | None
    picture_url: str | None
    is_business: bool
    on_whatsapp: bool = Field(alias="onWhatsApp")


class LidOut(ApiModel):
    lid: str = Field(examples=["123456789012345@lid"])
    phone: str = Field(examples=["6281234567890"])
