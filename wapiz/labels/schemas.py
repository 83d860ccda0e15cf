from typing import Annotated

from pydantic import Field

from wapiz.kit.schemas import ApiInput, ApiModel, text

LabelId = Annotated[str, text(min_length=1, max_length=64)]


class LabelOut(ApiModel):
    id: str
    name: str
    color: int = Field(description="WhatsApp's colour number for the label.")
    chats: list[str] = Field(description="The chats (WhatsApp ids) the label is on.")


class LabelsOut(ApiModel):
    labels: list[LabelOut]


class ChatLabelsIn(ApiInput):
    labels: list[LabelId] = Field(max_length=20, description="Exactly the labels (their `id`) "
                                  "the chat should have; [] takes them all off.")


class ChatLabelsOut(ApiModel):
    ok: bool = True
    chat: str
    labels: list[str]
