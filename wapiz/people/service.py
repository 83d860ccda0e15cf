"""The linked number's profile, its contacts and their LIDs. What only the live session
knows is asked of it (devices.live.ask_live); what the device's stored messages know is
read from them (repository.py)."""

import base64
import re
from dataclasses import asdict

from wapiz.devices.live import ask_live
from wapiz.devices.reader import DeviceReader
from wapiz.devices.requests import (
    BLOCK,
    CONTACTS,
    LID_LOOKUP,
    PERSON,
    PROFILE,
    SET_PICTURE,
    SET_PROFILE,
)
from wapiz.engines.base import Person
from wapiz.kit.errors import InvalidInput, NotFound, PayloadTooLarge
from wapiz.kit.jids import LID_SERVER
from wapiz.kit.phones import INVALID_PHONE, phone_digits
from wapiz.kit.text import Text
from wapiz.people.repository import StoredPeople, merged
from wapiz.people.schemas import ContactItem, ContactOut, ContactPage, LidOut, ProfileOut

# A profile picture: a JPEG (what WhatsApp stores; 640x640 is its size), at most this big.
PICTURE_MAX_BYTES = 1_000_000
JPEG_MAGIC = b"\xff\xd8\xff"
LID = re.compile(r"^([0-9]{1,24})(@lid)?$")
LID_UNKNOWN = Text("LID atau nomor ini belum dikenal device", "The device does not know this "
                   "LID or number yet")


def lid_jid(raw: str) -> str:
    """`123…` or `123…@lid` → `123…@lid`; 422 for anything else."""
    found = LID.fullmatch(raw.strip())
    if found is None:
        raise InvalidInput(Text("LID harus angka, mis. 123456789012345@lid",
                                "a LID is digits, e.g. 123456789012345@lid"), code="invalid_lid")
    return f"{found.group(1)}@{LID_SERVER}"


class PeopleService:
    def __init__(self, devices: DeviceReader) -> None:
        self.devices = devices

    async def phone(self, raw_id: str, raw: str) -> str:
        """The number a path names, judged only once the device is known to be the caller's
        (another account's device is a 404 whatever the rest of the path)."""
        await self.devices.get(raw_id)
        phone = phone_digits(raw, self.devices.settings.default_country_code)
        if phone is None:
            raise InvalidInput(INVALID_PHONE, code="invalid_phone")
        return phone

    # --- profile ---------------------------------------------------------------------

    async def profile(self, raw_id: str) -> ProfileOut:
        return ProfileOut.model_validate(await ask_live(self.devices, raw_id, PROFILE, {}))

    async def update_profile(self, raw_id: str, push_name: str | None,
                             about: str | None) -> ProfileOut:
        if push_name is not None or about is not None:
            await ask_live(self.devices, raw_id, SET_PROFILE,
                           {"pushName": push_name, "about": about})
        return await self.profile(raw_id)

    async def set_picture(self, raw_id: str, jpeg: bytes) -> None:
        if len(jpeg) > PICTURE_MAX_BYTES:
            raise PayloadTooLarge(Text("Foto profil maksimal {limit} byte",
                                       "A profile picture is at most {limit} bytes")
                                  .format(limit=PICTURE_MAX_BYTES), code="picture_too_large")
        if not jpeg.startswith(JPEG_MAGIC):
            raise InvalidInput(Text("Foto profil harus JPEG", "A profile picture must be a JPEG"),
                               code="invalid_picture")
        await ask_live(self.devices, raw_id, SET_PICTURE,
                       {"jpeg": base64.b64encode(jpeg).decode()})

    # --- contacts ----------------------------------------------------------------------

    async def contacts(self, raw_id: str, cursor: str | None, limit: int) -> ContactPage:
        """The session's address book and everyone who has written, by number (people WhatsApp
        names only by LID after them), a page after the cursor."""
        device = await self.devices.get(raw_id)
        answer = await ask_live(self.devices, raw_id, CONTACTS, {})
        from_session = [Person(**person) for person in answer["people"]]
        async with self.devices.database.session_scope() as db:
            senders = await StoredPeople(db, device.id).senders(cursor, limit + 1)
        people = merged(from_session, senders)
        keys = sorted(key for key in people if cursor is None or key > cursor)
        page = keys[:limit]
        return ContactPage(
            items=[ContactItem.model_validate(asdict(people[key])) for key in page],
            next_cursor=page[-1] if len(keys) > limit else None)

    async def contact(self, raw_id: str, raw_phone: str) -> ContactOut:
        phone = await self.phone(raw_id, raw_phone)
        return ContactOut.model_validate(
            await ask_live(self.devices, raw_id, PERSON, {"phone": phone}))

    async def block(self, raw_id: str, raw_phone: str, blocked: bool) -> None:
        phone = await self.phone(raw_id, raw_phone)
        await ask_live(self.devices, raw_id, BLOCK, {"phone": phone, "blocked": blocked})

    # --- LIDs ------------------------------------------------------------------------------

    async def phone_of_lid(self, raw_id: str, raw_lid: str) -> LidOut:
        device = await self.devices.get(raw_id)
        lid = lid_jid(raw_lid)
        async with self.devices.database.session_scope() as db:
            phone = await StoredPeople(db, device.id).phone_of_lid(lid)
        if phone is None:
            phone = (await ask_live(self.devices, raw_id, LID_LOOKUP, {"lid": lid}))["phone"]
        if not phone:
            raise NotFound(LID_UNKNOWN, code="lid_not_found")
        return LidOut(lid=lid, phone=phone)

    async def lid_of_phone(self, raw_id: str, raw_phone: str) -> LidOut:
        phone = await self.phone(raw_id, raw_phone)
        device = await self.devices.get(raw_id)
        async with self.devices.database.session_scope() as db:
            lid = await StoredPeople(db, device.id).lid_of_phone(phone)
        if lid is None:
            lid = (await ask_live(self.devices, raw_id, LID_LOOKUP, {"phone": phone}))["lid"]
        if not lid:
            raise NotFound(LID_UNKNOWN, code="lid_not_found")
        return LidOut(lid=lid, phone=phone)
