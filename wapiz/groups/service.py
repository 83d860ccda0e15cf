"""Group rules: what a request names is checked here (a group's id, each participant), then
the device's live session does it (devices.live.ask_live → workers/runner/calls/groups.py).
Nothing is stored on our side: the groups are WhatsApp's."""

import base64
from collections.abc import Sequence
from typing import Any

from wapiz.devices import live
from wapiz.devices.reader import DeviceReader
from wapiz.devices.requests import (
    ANSWER_JOIN_REQUESTS,
    CHANGE_GROUP,
    CHANGE_PARTICIPANTS,
    CREATE_GROUP,
    GET_GROUP,
    GROUP_INVITE_LINK,
    GROUP_JOIN_REQUESTS,
    JOIN_GROUP,
    LEAVE_GROUP,
    LIST_GROUPS,
    SET_GROUP_PICTURE,
)
from wapiz.engines.groups import (
    ADD,
    OK,
    GroupInfo,
    GroupSettings,
    Joined,
    JoinRequest,
    ParticipantResult,
)
from wapiz.groups.schemas import (
    GroupChange,
    GroupCreate,
    GroupList,
    GroupOut,
    InviteOut,
    JoinPendingOut,
    JoinRequestList,
    JoinRequestOut,
    ParticipantResultOut,
    ParticipantsChange,
    ParticipantsOut,
    PictureOut,
    RequestsAnswer,
)
from wapiz.kit.errors import InvalidInput, NotFound, PayloadTooLarge
from wapiz.kit.jids import GROUP_ID, LID, LID_SERVER, phone_jid
from wapiz.kit.phones import phone_digits
from wapiz.kit.schemas import format_timestamp
from wapiz.kit.text import Text
from wapiz.webhooks.events import GroupData

INVALID_GROUP = Text("Grup tidak ditemukan: {raw} bukan id grup WhatsApp (…@g.us)",
                     "Group not found: {raw} is not a WhatsApp group id (…@g.us)")
INVALID_PARTICIPANTS = Text(
    "Bukan nomor telepon atau id WhatsApp yang valid: {raw}",
    "Not a valid phone number or WhatsApp id: {raw}")
NOT_JPEG = Text("Foto grup harus berupa gambar JPEG", "A group picture must be a JPEG image")
PICTURE_TOO_LARGE = Text("Foto lebih besar dari batas {limit} byte",
                         "The picture is larger than the limit of {limit} bytes")
JPEG_START = b"\xff\xd8\xff"

# Why WhatsApp refused a participant, by its code (and, where it differs, the action).
REASONS = {403: "privacy_restricted", 404: "not_participant", 408: "recently_left",
           409: "already_participant"}
REASONS_FOR = {(ADD, 404): "not_on_whatsapp", ("remove", 403): "not_allowed",
               ("demote", 403): "not_allowed", ("promote", 403): "not_allowed",
               ("approve", 404): "no_request", ("reject", 404): "no_request"}


def group_out(info: GroupInfo) -> GroupOut:
    return GroupOut.model_validate(GroupData(info).to_json())


def result_out(given: str, result: ParticipantResult, action: str) -> ParticipantResultOut:
    person = result.person
    refused = result.status != OK
    reason = (REASONS_FOR.get((action, result.status)) or REASONS.get(result.status, "refused")
              if refused else None)
    return ParticipantResultOut(participant=given, phone=person.phone if person else None,
                                lid=person.lid if person else None, ok=not refused,
                                status=result.status, reason=reason)


class GroupService:
    def __init__(self, devices: DeviceReader) -> None:
        self.devices = devices
        self.country = devices.settings.default_country_code

    # --- what a request names -------------------------------------------------------------

    @staticmethod
    def group_id(raw: str) -> str:
        """A group id from a URL; a malformed one is a group that does not exist (404), as a
        malformed device id is."""
        if not GROUP_ID.match(raw):
            raise NotFound(INVALID_GROUP.format(raw=repr(raw[:64])), code="group_not_found")
        return raw

    def participant_jids(self, raw: Sequence[str]) -> list[str]:
        """Each participant's WhatsApp id, in order; 422 naming every one that is not a
        number or a WhatsApp id."""
        jids: list[str | None] = []
        for text in raw:
            if text.endswith("@" + LID_SERVER):
                jids.append(text if LID.match(text) else None)
            else:
                phone = phone_digits(text, self.country)
                jids.append(phone_jid(phone) if phone else None)
        bad = [given for given, jid in zip(raw, jids, strict=True) if jid is None]
        if bad:
            raise InvalidInput(INVALID_PARTICIPANTS.format(raw=", ".join(map(repr, bad))),
                               code="invalid_participant")
        return [jid for jid in jids if jid is not None]

    async def _known_device(self, raw_id: str) -> None:
        """404 for a device that is not the caller's, before anything the request carries is
        judged (another account's device is missing, whatever the body)."""
        await self.devices.get(raw_id)

    async def _group(self, raw_id: str, group: str) -> str:
        """The group a path names, judged only once the device is known to be the caller's."""
        await self._known_device(raw_id)
        return self.group_id(group)

    async def _ask(self, raw_id: str, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        return await live.ask_live(self.devices, raw_id, kind, payload)

    async def _results(self, raw_id: str, kind: str, group: str, action: str,
                       given: list[str]) -> ParticipantsOut:
        chosen = await self._group(raw_id, group)
        jids = self.participant_jids(given)
        answer = await self._ask(raw_id, kind, {"group": chosen, "action": action,
                                                "participants": jids})
        results = [ParticipantResult.from_json(r) for r in answer["results"]]
        by_jid = dict(zip(jids, given, strict=True))
        return ParticipantsOut(results=[result_out(by_jid.get(r.jid, r.jid), r, action)
                                        for r in results])

    # --- the routes -------------------------------------------------------------------------

    async def list(self, raw_id: str) -> GroupList:
        answer = await self._ask(raw_id, LIST_GROUPS, {})
        return GroupList(items=[group_out(GroupInfo.from_json(g)) for g in answer["groups"]])

    async def get(self, raw_id: str, group: str) -> GroupOut:
        answer = await self._ask(raw_id, GET_GROUP, {"group": await self._group(raw_id, group)})
        return group_out(GroupInfo.from_json(answer["group"]))

    async def create(self, raw_id: str, body: GroupCreate) -> GroupOut:
        await self._known_device(raw_id)
        answer = await self._ask(raw_id, CREATE_GROUP, {
            "subject": body.subject, "participants": self.participant_jids(body.participants)})
        return group_out(GroupInfo.from_json(answer["group"]))

    async def change(self, raw_id: str, group: str, body: GroupChange) -> GroupOut:
        changes = GroupSettings(subject=body.subject, description=body.description,
                                announce=body.announce, locked=body.locked,
                                join_approval=body.join_approval)
        await self._ask(raw_id, CHANGE_GROUP, {"group": await self._group(raw_id, group),
                                               "changes": changes.to_json()})
        return await self.get(raw_id, group)

    async def set_picture(self, raw_id: str, group: str, picture: bytes) -> PictureOut:
        await self._known_device(raw_id)
        limit = self.devices.settings.max_body_bytes
        if len(picture) > limit:
            raise PayloadTooLarge(PICTURE_TOO_LARGE.format(limit=limit), code="file_too_large")
        if not picture.startswith(JPEG_START):
            raise InvalidInput(NOT_JPEG, code="not_jpeg")
        answer = await self._ask(raw_id, SET_GROUP_PICTURE, {
            "group": await self._group(raw_id, group), "jpeg": base64.b64encode(picture).decode()})
        return PictureOut(picture_id=str(answer["pictureId"]))

    async def change_participants(self, raw_id: str, group: str,
                                  body: ParticipantsChange) -> ParticipantsOut:
        return await self._results(raw_id, CHANGE_PARTICIPANTS, group, body.action,
                                   body.participants)

    async def invite_link(self, raw_id: str, group: str, reset: bool = False) -> InviteOut:
        chosen = await self._group(raw_id, group)
        answer = await self._ask(raw_id, GROUP_INVITE_LINK, {"group": chosen, "reset": reset})
        return InviteOut(link=str(answer["link"]))

    async def join(self, raw_id: str, link: str) -> GroupOut | JoinPendingOut:
        joined = Joined.from_json((await self._ask(raw_id, JOIN_GROUP, {"link": link}))["joined"])
        if joined.group is None:
            return JoinPendingOut(id=joined.group_id, pending=True)
        return group_out(joined.group)

    async def leave(self, raw_id: str, group: str) -> None:
        await self._ask(raw_id, LEAVE_GROUP, {"group": await self._group(raw_id, group)})

    async def requests(self, raw_id: str, group: str) -> JoinRequestList:
        chosen = await self._group(raw_id, group)
        answer = await self._ask(raw_id, GROUP_JOIN_REQUESTS, {"group": chosen})
        asked = [JoinRequest.from_json(r) for r in answer["requests"]]
        return JoinRequestList(items=[JoinRequestOut.model_validate({
            **r.person.to_json(),
            "requestedAt": format_timestamp(r.requested_at) if r.requested_at else None})
            for r in asked])

    async def answer_requests(self, raw_id: str, group: str,
                              body: RequestsAnswer) -> ParticipantsOut:
        return await self._results(raw_id, ANSWER_JOIN_REQUESTS, group, body.action,
                                   body.participants)
