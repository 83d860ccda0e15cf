"""What a message carries, as engines send and report it: typed, in no library's terms.

Locations, contacts and polls come in (`events.InboundMessage`) and go out
(`base.OutboundMessage`) alike; each maps to and from the JSON the gateway stores and shows
(`to_json`, `from_json`: camelCase, as the API names them) in one place, here.
"""

from dataclasses import dataclass, field
from typing import Any, ClassVar

MEDIA_KINDS = ("image", "video", "audio", "document", "sticker")


@dataclass(frozen=True, slots=True)
class Location:
    kind: ClassVar[str] = "location"
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"latitude": self.latitude, "longitude": self.longitude, "name": self.name,
                "address": self.address}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Location":
        return cls(data["latitude"], data["longitude"], data.get("name"), data.get("address"))


@dataclass(frozen=True, slots=True)
class Contact:
    kind: ClassVar[str] = "contact"
    display_name: str
    vcard: str

    def to_json(self) -> dict[str, Any]:
        return {"displayName": self.display_name, "vcard": self.vcard}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Contact":
        return cls(str(data.get("displayName", "")), str(data.get("vcard", "")))


@dataclass(frozen=True, slots=True)
class Poll:
    kind: ClassVar[str] = "poll"
    name: str
    options: tuple[str, ...]
    selectable_count: int = 1  # 0 (as WhatsApp reports some polls): any number

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "options": list(self.options),
                "selectableCount": self.selectable_count}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Poll":
        count = data.get("selectableCount")
        return cls(str(data.get("name", "")), tuple(str(o) for o in data.get("options", ())),
                   1 if count is None else int(count))


# --- outbound only -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageRef:
    """A message acted on (reacted to, voted in, quoted, edited, revoked): its WhatsApp id
    and its sender (None: one of ours)."""

    id: str
    sender: str | None = None


@dataclass(frozen=True, slots=True)
class LinkPreview:
    """A link's preview in a text: the URL as it is in the text, the page's title and
    description (WhatsApp's ExtendedTextMessage matchedText, title, description)."""

    url: str
    title: str | None = None
    description: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "title": self.title, "description": self.description}

    @classmethod
    def from_json(cls, stored: dict[str, Any]) -> "LinkPreview":
        return cls(stored["url"], stored.get("title"), stored.get("description"))


@dataclass(frozen=True, slots=True)
class StoryStyle:
    """A text status's look: its background (ARGB) and font (WhatsApp's
    ExtendedTextMessage.FontType number)."""

    background_argb: int | None = None
    font: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"backgroundArgb": self.background_argb, "font": self.font}

    @classmethod
    def from_json(cls, stored: dict[str, Any]) -> "StoryStyle":
        return cls(stored.get("backgroundArgb"), stored.get("font"))


@dataclass(frozen=True, slots=True)
class Text:
    kind: ClassVar[str] = "text"
    text: str
    preview: LinkPreview | None = None
    style: StoryStyle | None = None  # a text status (story)


@dataclass(frozen=True, slots=True)
class File:
    """An image, video, audio, document or sticker, with its bytes."""

    kind: str  # one of MEDIA_KINDS
    data: bytes = field(repr=False)
    mimetype: str | None = None
    file_name: str | None = None
    caption: str | None = None
    ptt: bool = False  # an audio message as a voice note


@dataclass(frozen=True, slots=True)
class Reaction:
    kind: ClassVar[str] = "reaction"
    target: MessageRef
    emoji: str  # "" takes a reaction back


@dataclass(frozen=True, slots=True)
class PollVote:
    kind: ClassVar[str] = "poll_vote"
    poll: MessageRef
    options: tuple[str, ...]  # the chosen options' names


@dataclass(frozen=True, slots=True)
class Edit:
    kind: ClassVar[str] = "edit"
    target: MessageRef
    text: str


@dataclass(frozen=True, slots=True)
class Revoke:
    kind: ClassVar[str] = "revoke"
    target: MessageRef


Content = Text | File | Location | Contact | Poll | Reaction | PollVote | Edit | Revoke
