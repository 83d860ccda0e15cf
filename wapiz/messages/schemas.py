import uuid
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    model_validator,
)

from wapiz.engines import content as engine
from wapiz.kit.schemas import ApiInput, ApiModel, Moment, Timestamp, text
from wapiz.kit.text import Text as Words
from wapiz.kit.validation import invalid
from wapiz.messages.body import EMPTY as EMPTY_BODY
from wapiz.messages.body import MessageBody, ReactionBody, VoteBody
from wapiz.messages.links import first_link
from wapiz.messages.models import MEDIA_TYPES

MessageType = Literal["text", "image", "video", "audio", "document", "sticker", "location",
                      "contact", "reaction", "poll", "poll_vote"]
# Types whose caption is `text`.
CAPTIONED = ("image", "video", "document")


def a_message(message_type: str) -> str:
    """`an image message`, `a text message`: for error messages."""
    return ("an " if message_type[0] in "aeiou" else "a ") + message_type + " message"


NOT_WEB_URL = Words("Harus URL http:// atau https://", "Must be an http:// or https:// URL")


def _web_url(value: str) -> str:
    if urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).hostname:
        raise invalid("not_http_url", NOT_WEB_URL)
    return value


Text = Annotated[str, text(min_length=1, max_length=65536)]
ShortText = Annotated[str, text(max_length=1024)]
MediaUrl = Annotated[str, text(max_length=2048), AfterValidator(_web_url)]
Name = Annotated[str, text(min_length=1, max_length=256)]
Option = Annotated[str, text(min_length=1, max_length=100)]
Recipient = Annotated[str, text(min_length=3, max_length=128)]
PlaceName = Annotated[str, text(max_length=256)]
Address = Annotated[str, text(max_length=512)]
VCard = Annotated[str, text(min_length=1, max_length=16384)]
Emoji = Annotated[str, text(max_length=16)]
FileName = Annotated[str, text(max_length=255)]
MimeType = Annotated[str, StringConstraints(max_length=255, pattern=r"^[\w.+-]+/[\w.+-]+$")]


class Location(ApiInput):
    latitude: StrictFloat = Field(ge=-90, le=90)
    longitude: StrictFloat = Field(ge=-180, le=180)
    name: PlaceName | None = None
    address: Address | None = None


class Contact(ApiInput):
    display_name: Name
    vcard: VCard = Field(description="The contact as a vCard (BEGIN:VCARD … END:VCARD).")


class Reaction(ApiInput):
    message_id: uuid.UUID = Field(description="The message (its `id`) to react to.")
    emoji: Emoji = Field(description='The emoji; "" removes the reaction.')


class Poll(ApiInput):
    name: Name
    options: list[Option] = Field(min_length=2, max_length=12)
    selectable_count: StrictInt = Field(1, ge=1, le=12)


class Vote(ApiInput):
    message_id: uuid.UUID = Field(description="The poll (its message `id`) to vote in.")
    options: list[Option] = Field(
        max_length=12, description="The chosen options' names; [] takes the vote back.")


NEEDS_ONE_FILE = Words(
    "pesan {kind} butuh tepat satu file: `mediaUrl`, `media` (base64) atau unggahan",
    "{a_kind} needs exactly one file: `mediaUrl`, `media` (base64) or an upload")
NEEDS_FIELD = Words("pesan {kind} butuh `{field}`", "{a_kind} needs `{field}`")
NO_FILE = Words("pesan {kind} tidak membawa file", "{a_kind} carries no file")
NOT_TAKEN = Words("pesan {kind} tidak menerima `{fields}`", "{a_kind} does not take `{fields}`")
PTT_AUDIO_ONLY = Words("`ptt` hanya untuk pesan audio", "`ptt` is for audio messages")

# Which field carries each type's content.
CONTENT_FIELD = {"text": "text", "location": "location", "contact": "contact",
                 "reaction": "reaction", "poll": "poll", "poll_vote": "vote"}


PREVIEW_NEEDS_LINK = Words("linkPreview hanya untuk pesan teks yang berisi tautan http(s)",
                           "linkPreview is only for a text message with an http(s) link")


class MessageContent(ApiInput):
    """A message's type and what it carries: exactly the field its type names; a file for
    image, video, audio, document and sticker (with `text` as the caption where WhatsApp
    shows one)."""

    type: MessageType = "text"
    text: Text | None = Field(None, description="The text, or a media message's caption.")
    location: Location | None = None
    contact: Contact | None = None
    reaction: Reaction | None = None
    poll: Poll | None = None
    vote: Vote | None = None
    media_url: MediaUrl | None = Field(
        None, description="A public http(s) URL the server fetches the file from.")
    media: str | None = Field(None, description="The file, base64-encoded.")
    mimetype: MimeType | None = Field(
        None, description="The file's type (default: told from its bytes).")
    file_name: FileName | None = Field(None, description="A document's file name.")
    ptt: StrictBool = Field(False, description="An audio message as a voice note.")

    def media_sources(self) -> list[str]:
        """Which ways of giving the file this request uses."""
        return [name for name, value in (("mediaUrl", self.media_url), ("media", self.media))
                if value is not None]

    @model_validator(mode="after")
    def _content_matches_type(self) -> "MessageContent":
        sources = self.media_sources()
        kind = {"kind": self.type, "a_kind": a_message(self.type)}
        if self.type in MEDIA_TYPES:
            if len(sources) != 1:
                raise invalid("file_required", NEEDS_ONE_FILE.format(**kind))
            carried = {"text"} if self.type in CAPTIONED else set()
        else:
            field = CONTENT_FIELD[self.type]
            carried = {field}
            if getattr(self, field) is None:
                raise invalid("content_required", NEEDS_FIELD.format(**kind, field=field))
            if sources or self.file_name or self.mimetype:
                raise invalid("file_not_allowed", NO_FILE.format(**kind))
        extra = [f for f in set(CONTENT_FIELD.values()) - carried
                 if getattr(self, f) is not None]
        if extra:
            raise invalid("field_not_allowed", NOT_TAKEN.format(
                **kind, fields=", ".join(sorted(extra))))
        if self.ptt and self.type != "audio":
            raise invalid("ptt_not_audio", PTT_AUDIO_ONLY)
        return self

    def content(self) -> MessageBody:
        """What the type carries, as kept in the message's body (a text's is its text; a
        file's description is added when the file is stored, a vote's poll when it is
        looked up)."""
        if self.location is not None:
            place = self.location
            return MessageBody(location=engine.Location(place.latitude, place.longitude,
                                                        place.name, place.address))
        if self.contact is not None:
            return MessageBody(contact=engine.Contact(self.contact.display_name,
                                                      self.contact.vcard))
        if self.poll is not None:
            return MessageBody(poll=engine.Poll(self.poll.name, tuple(self.poll.options),
                                                self.poll.selectable_count))
        if self.reaction is not None:
            return MessageBody(reaction=ReactionBody(self.reaction.emoji,
                                                     message_id=str(self.reaction.message_id)))
        if self.vote is not None:
            return MessageBody(vote=VoteBody(tuple(self.vote.options)))
        return MessageBody(ptt=True) if self.ptt else EMPTY_BODY


class MessageIn(MessageContent):
    device_public_id: uuid.UUID = Field(alias="deviceId",
                                        description="The sending device's `deviceId`.")
    to: Recipient = Field(examples=["081234567890"],
                    description="A phone number (0812…, +62 812-…, 62812…) or a group id "
                    "(…@g.us).")
    quoted_message_id: uuid.UUID | None = Field(None, description="Reply to this message.")
    mentions: list[Recipient] = Field(default_factory=list, max_length=256,
                                description="Phone numbers to mention (in groups).")
    send_at: Moment | None = Field(
        None, description="Send at this time (with its zone), not at once.")
    queue: StrictBool = Field(True, description="false: fail with 409 if the device is not "
                        "logged in, instead of waiting for it in the queue.")
    link_preview: StrictBool = Field(
        False, description="A text: show a preview of its first link (the page's title and "
        "description, fetched by the server when the send is accepted).")

    @model_validator(mode="after")
    def _preview_needs_a_link(self) -> "MessageIn":
        if self.link_preview and (self.type != "text" or first_link(self.text) is None):
            raise invalid("link_preview_needs_link", PREVIEW_NEEDS_LINK)
        return self


class MediaOut(ApiModel):
    mimetype: str
    file_name: str | None = None
    size: int | None = None
    sha256: str | None = None
    seconds: int | None = None
    url: str = Field(description="Where to download the file (with the same credentials).")


class MessageOut(ApiModel):
    id: uuid.UUID
    device_public_id: uuid.UUID = Field(alias="deviceId")
    direction: Literal["outbound", "inbound"]
    to: str | None = Field(description="Outbound: the recipient's phone number (or group).")
    sender: str | None = Field(None, alias="from",
                               description="Inbound: the sender's phone number, if known.")
    sender_jid: str | None = Field(None, alias="fromJid",
                                   description="Inbound: the sender's WhatsApp id.")
    sender_lid: str | None = Field(None, alias="fromLid",
                                   description="Inbound: the sender's LID, when WhatsApp "
                                   "named them by it.")
    push_name: str | None = Field(None, description="Inbound: the sender's profile name.")
    chat: str = Field(description="The chat's WhatsApp id.")
    type: str
    text: str | None = None
    location: dict[str, Any] | None = None
    contact: dict[str, Any] | None = None
    reaction: dict[str, Any] | None = None
    poll: dict[str, Any] | None = None
    vote: dict[str, Any] | None = Field(
        None, description='A poll vote: {"options": [names], "pollId"} (the poll\'s `id`, '
        "when it is known here).")
    media: MediaOut | None = None
    ptt: bool | None = Field(None, description="An audio message sent as a voice note.")
    target_id: uuid.UUID | None = Field(
        None, description="An edit or revoke: the message (its `id`) it acts on.")
    quoted_wa_message_id: str | None = Field(
        None, description="A reply: the WhatsApp id of the message it quotes.")
    status: str = Field(description="queued, sending, sent, delivered, read, failed, "
                        "cancelled; received (inbound)")
    waiting: str | None = Field(None, description="Why a queued message waits: "
                                "device_not_logged_in, scheduled.")
    wa_message_id: str | None = None
    error: str | None = None
    created_at: Timestamp
    timestamp: Timestamp | None = Field(None, description="Inbound: when WhatsApp says it "
                                        "was sent.")
    send_at: Timestamp | None = None
    sent_at: Timestamp | None = None
    delivered_at: Timestamp | None = None
    read_at: Timestamp | None = None
    edited_at: Timestamp | None = Field(None, description="When its text was last edited.")
    revoked_at: Timestamp | None = Field(None, description="When it was deleted for everyone.")


class EditIn(ApiInput):
    text: Text = Field(description="The message's new text.")


class ForwardIn(ApiInput):
    to: Recipient = Field(examples=["081234567890"],
                          description="Phone number (or group id) to forward the message to.")


class MessagePage(ApiModel):
    items: list[MessageOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page.")


class BulkRecipient(ApiInput):
    to: Recipient
    variables: dict[str, ShortText] = Field(
        default_factory=dict, description="Values for the template's {{name}} placeholders.")


MIN_ABOVE_MAX = Words("minDelayMs tidak boleh lebih dari maxDelayMs",
                      "minDelayMs must not be more than maxDelayMs")
NO_BULK_REACTIONS = Words("Satu batch tidak bisa mengirim reaksi atau suara polling",
                          "A batch cannot send reactions or votes")


class BulkIn(MessageContent):
    device_public_id: uuid.UUID = Field(alias="deviceId")
    recipients: list[BulkRecipient] = Field(min_length=1, max_length=1000)
    min_delay_ms: StrictInt = Field(15000, ge=0, le=3_600_000,
                              description="Shortest pause between two messages of the batch.")
    max_delay_ms: StrictInt = Field(45000, ge=0, le=3_600_000,
                              description="Longest pause between two messages of the batch.")
    send_at: Moment | None = Field(
        None, description="When the first message goes (with its zone).")

    @model_validator(mode="after")
    def _sane(self) -> "BulkIn":
        if self.min_delay_ms > self.max_delay_ms:
            raise invalid("min_delay_above_max", MIN_ABOVE_MAX)
        if self.type in ("reaction", "poll_vote"):
            raise invalid("type_not_allowed", NO_BULK_REACTIONS)
        return self


class BulkOut(ApiModel):
    batch_id: uuid.UUID
    device_public_id: uuid.UUID = Field(alias="deviceId")
    total: int
    message_ids: list[uuid.UUID]
    first_send_at: Timestamp
    last_send_at: Timestamp = Field(description="When the last message is planned to go.")


class BatchOut(ApiModel):
    batch_id: uuid.UUID
    device_public_id: uuid.UUID = Field(alias="deviceId")
    total: int
    counts: dict[str, int] = Field(description="Messages by status.")
    done: bool = Field(description="No message of the batch is queued or sending any more.")
    created_at: Timestamp
