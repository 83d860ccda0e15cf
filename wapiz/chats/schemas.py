from pydantic import Field, StrictBool, model_validator

from wapiz.kit.schemas import ApiInput, ApiModel, Moment, Timestamp
from wapiz.kit.text import Text
from wapiz.kit.validation import invalid
from wapiz.messages.schemas import MessageOut

NOTHING_TO_CHANGE = Text("Isi minimal satu dari archived, pinned, mutedUntil",
                         "Give at least one of archived, pinned, mutedUntil")


class ChatOut(ApiModel):
    chat: str = Field(description="The chat's WhatsApp id (…@s.whatsapp.net, …@g.us, …@lid).")
    name: str | None = Field(description="The chat's name, where WhatsApp said it (a "
                             "contact's profile name, a group's subject from a history sync).")
    is_group: bool
    unread_count: int = Field(description="Inbound messages not read yet (reactions, edits "
                              "and votes not counted).")
    last_message: MessageOut | None = Field(description="The newest message, as the "
                                            "messages API shows it.")
    archived: bool
    pinned: bool
    muted_until: Timestamp | None = Field(description="Muted until then (9999-12-31: for "
                                          "ever); null: not muted.")


class ChatPage(ApiModel):
    items: list[ChatOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page.")


class ChatChange(ApiInput):
    """Only the fields given change."""

    archived: StrictBool | None = Field(None, description="Archive (true) or unarchive; "
                                        "archiving also unpins, as WhatsApp does.")
    pinned: StrictBool | None = Field(None, description="Pin to the top, or unpin.")
    muted_until: Moment | None = Field(None, description="Mute until then; null unmutes.")

    @model_validator(mode="after")
    def _something(self) -> "ChatChange":
        if not self.model_fields_set:
            raise invalid("nothing_to_change", NOTHING_TO_CHANGE)
        if ("archived" in self.model_fields_set and self.archived is None) or (
                "pinned" in self.model_fields_set and self.pinned is None):
            raise invalid("invalid_chat_change", Text(
                "archived dan pinned harus true atau false", "archived and pinned must be "
                "true or false"))
        if self.archived and self.pinned:
            raise invalid("invalid_chat_change", Text(
                "Chat yang diarsipkan tidak bisa disematkan", "An archived chat cannot be "
                "pinned"))
        return self
