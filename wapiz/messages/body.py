"""A message's body (the `messages.body` JSON column): what its type carries, and what the
gateway keeps about it, as one typed model with the one mapping to and from the stored JSON.

The stored keys are camelCase, as the API shows them; a key whose value is None (or a false
`ptt`, an empty `mentions`) is not stored. Rows written before this model read the same.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from wapiz.engines.content import Contact, LinkPreview, Location, Poll, StoryStyle

TARGET_ID = "targetId"  # also queried in SQL (messages/repository.py)


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sent an inbound message: WhatsApp id, phone number and LID, where known."""

    jid: str
    phone: str | None = None
    lid: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"jid": self.jid, "phone": self.phone, "lid": self.lid}


@dataclass(frozen=True, slots=True)
class Received:
    """What an inbound message came with: its sender, their profile name, whether it came
    from our own phone, and WhatsApp's time (ISO 8601; `created_at` is ours)."""

    sender: Sender
    push_name: str | None
    from_me: bool
    timestamp: datetime
    from_history: bool = False  # taken in from the history the phone sent when it linked


@dataclass(frozen=True, slots=True)
class FileDescription:
    """What a message keeps of its file (and the API shows)."""

    mimetype: str
    file_name: str | None = None
    size: int | None = None
    sha256: str | None = None
    seconds: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"mimetype": self.mimetype, "fileName": self.file_name, "size": self.size,
                "sha256": self.sha256, "seconds": self.seconds}


@dataclass(frozen=True, slots=True)
class ReactionBody:
    """A reaction: the emoji, and the message it is about, as the API named it when we sent
    it (`messageId`) or as WhatsApp did when it came in (`targetWaMessageId`)."""

    emoji: str | None  # "" takes a reaction back
    message_id: str | None = None
    target_wa_message_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        about = ({"messageId": self.message_id} if self.message_id is not None
                 else {"targetWaMessageId": self.target_wa_message_id})
        return {**about, "emoji": self.emoji}


@dataclass(frozen=True, slots=True)
class VoteBody:
    """A poll vote: the chosen options by name, the poll's `id` where it is known here, and
    the digests WhatsApp carried that name no option we know."""

    options: tuple[str, ...]
    poll_id: str | None = None
    option_digests: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"options": list(self.options), "pollId": self.poll_id}
        if self.option_digests is not None:
            shown["optionDigests"] = list(self.option_digests)
        return shown


@dataclass(frozen=True, slots=True)
class MessageBody:
    received: Received | None = None  # inbound only
    location: Location | None = None
    contact: Contact | None = None
    poll: Poll | None = None
    reaction: ReactionBody | None = None
    vote: VoteBody | None = None
    # A vote we send: the poll's sender (None: our own poll), stored beside the vote.
    target_sender: str | None = None
    quoted_wa_message_id: str | None = None  # a reply: the message it quotes
    mentions: tuple[str, ...] = ()  # WhatsApp ids
    # A reaction, vote, edit or revoke: the WhatsApp id of the message it is about …
    target_wa_message_id: str | None = None
    # … and an edit or revoke: that message's `id`, where it is one of ours.
    target_id: str | None = None
    media: FileDescription | None = None
    ptt: bool = False  # an audio message as a voice note
    forwarded: bool = False  # sent by POST /api/messages/:id/forward, or came marked so
    link_preview: LinkPreview | None = None  # a text's link preview (`linkPreview: true`)
    story_style: StoryStyle | None = None  # a text status's background and font
    batch_pacing: tuple[int, int] | None = field(default=None)  # a batch's min, max delay ms

    def to_json(self) -> dict[str, Any]:
        # Straight-line: this runs for every accepted send.
        stored: dict[str, Any] = {}
        if self.received is not None:
            stored.update(sender=self.received.sender.to_json(),
                          pushName=self.received.push_name, fromMe=self.received.from_me,
                          timestamp=self.received.timestamp.isoformat())
            if self.received.from_history:
                stored["fromHistory"] = True
        if self.location is not None:
            stored["location"] = self.location.to_json()
        if self.contact is not None:
            stored["contact"] = self.contact.to_json()
        if self.poll is not None:
            stored["poll"] = self.poll.to_json()
        if self.reaction is not None:
            stored["reaction"] = self.reaction.to_json()
        if self.quoted_wa_message_id is not None:
            stored["quotedWaMessageId"] = self.quoted_wa_message_id
        if self.mentions:
            stored["mentions"] = list(self.mentions)
        if self.target_wa_message_id is not None:
            stored["targetWaMessageId"] = self.target_wa_message_id
        if self.target_id is not None:
            stored[TARGET_ID] = self.target_id
        if self.vote is not None:
            stored["vote"] = self.vote.to_json()
            if self.received is None:
                stored["targetSender"] = self.target_sender
        if self.media is not None:
            stored["media"] = self.media.to_json()
        if self.ptt:
            stored["ptt"] = True
        if self.forwarded:
            stored["forwarded"] = True
        if self.link_preview is not None:
            stored["linkPreview"] = self.link_preview.to_json()
        if self.story_style is not None:
            stored["storyStyle"] = self.story_style.to_json()
        if self.batch_pacing is not None:
            stored["batchPacing"] = list(self.batch_pacing)
        return stored

    @classmethod
    def from_json(cls, stored: dict[str, Any] | None) -> "MessageBody":
        if not stored:
            return EMPTY
        return cls(
            received=_received(stored),
            location=Location.from_json(stored["location"]) if stored.get("location") else None,
            contact=Contact.from_json(stored["contact"]) if stored.get("contact") else None,
            poll=Poll.from_json(stored["poll"]) if stored.get("poll") else None,
            reaction=_reaction(stored.get("reaction")),
            vote=_vote(stored.get("vote")),
            target_sender=stored.get("targetSender"),
            quoted_wa_message_id=stored.get("quotedWaMessageId"),
            mentions=tuple(stored.get("mentions") or ()),
            target_wa_message_id=stored.get("targetWaMessageId"),
            target_id=stored.get(TARGET_ID),
            media=_file(stored.get("media")),
            ptt=bool(stored.get("ptt")),
            forwarded=bool(stored.get("forwarded")),
            link_preview=(LinkPreview.from_json(stored["linkPreview"])
                          if stored.get("linkPreview") else None),
            story_style=(StoryStyle.from_json(stored["storyStyle"])
                         if stored.get("storyStyle") else None),
            batch_pacing=_pacing(stored.get("batchPacing")),
        )


EMPTY = MessageBody()


def _received(stored: dict[str, Any]) -> Received | None:
    sender = stored.get("sender")
    if not sender:
        return None
    return Received(Sender(sender["jid"], sender.get("phone"), sender.get("lid")),
                    stored.get("pushName"), bool(stored.get("fromMe")),
                    datetime.fromisoformat(stored["timestamp"]),
                    bool(stored.get("fromHistory")))


def _reaction(stored: dict[str, Any] | None) -> ReactionBody | None:
    if not stored:
        return None
    return ReactionBody(stored.get("emoji"), stored.get("messageId"),
                        stored.get("targetWaMessageId"))


def _vote(stored: dict[str, Any] | None) -> VoteBody | None:
    if not stored:
        return None
    digests = stored.get("optionDigests")
    return VoteBody(tuple(stored.get("options") or ()), stored.get("pollId"),
                    tuple(digests) if digests is not None else None)


def _file(stored: dict[str, Any] | None) -> FileDescription | None:
    if not stored:
        return None
    return FileDescription(stored["mimetype"], stored.get("fileName"), stored.get("size"),
                           stored.get("sha256"), stored.get("seconds"))


def _pacing(stored: list[int] | None) -> tuple[int, int] | None:
    return (int(stored[0]), int(stored[1])) if stored else None
