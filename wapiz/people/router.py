"""The linked number's profile, its contacts and their LIDs: /api/devices/:id/profile,
/contacts, /lids. Each asks the device's live session (409 while it is not logged in; 501
where the engine lacks the call)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from wapiz.accounts.deps import TokenFirstRoute
from wapiz.kit.schemas import ErrorBody, OkBody, error_responses
from wapiz.people.deps import People
from wapiz.people.schemas import (
    CONTACT_CURSOR_PATTERN,
    ContactOut,
    ContactPage,
    LidOut,
    ProfileIn,
    ProfileOut,
)
from wapiz.people.service import PICTURE_MAX_BYTES

router = APIRouter(prefix="/api/devices", tags=["people"], route_class=TokenFirstRoute)

# Read as people write them (the service says what it makes of them: 422 if nothing).
PhoneSegment = Annotated[str, Path(max_length=64, description="A phone number, e.g. "
                                   "6281234567890 or +62 812-3456-7890.")]
LidSegment = Annotated[str, Path(max_length=64, description="A LID: 123456789012345@lid, or "
                                 "its digits.")]

LIVE = {
    **error_responses(401, 404, 409, 501, 502),
    503: {"model": ErrorBody, "description": "The session did not answer; see Retry-After."},
}


@router.get("/{id}/profile", responses=LIVE, summary="The linked number's profile")
async def get_profile(id: str, people: People) -> ProfileOut:
    return await people.profile(id)


@router.patch("/{id}/profile", responses={**LIVE, **error_responses(422)},
              summary="Change the profile name (pushName) and the about text")
async def update_profile(id: str, body: ProfileIn, people: People) -> ProfileOut:
    return await people.update_profile(id, body.push_name, body.about)


@router.put(
    "/{id}/profile/picture",
    responses={**LIVE, **error_responses(413, 422)},
    openapi_extra={"requestBody": {"required": True, "content": {"image/jpeg": {"schema": {
        "type": "string", "format": "binary",
        "description": f"A JPEG of at most {PICTURE_MAX_BYTES} bytes."}}}}},
    summary="Set the profile picture (the request's body is the JPEG)",
)
async def set_picture(id: str, request: Request, people: People) -> OkBody:
    await people.set_picture(id, await request.body())
    return OkBody()


@router.get("/{id}/contacts", responses={**LIVE, **error_responses(422)},
            summary="The address book and everyone who has written, by number")
async def list_contacts(
    id: str, people: People,
    cursor: Annotated[str | None, Query(pattern=CONTACT_CURSOR_PATTERN, description=(
        "`nextCursor` of the previous page."))] = None,
    limit: int = Query(100, ge=1, le=500),
) -> ContactPage:
    return await people.contacts(id, cursor, limit)


@router.get("/{id}/contacts/{phone}", responses={**LIVE, **error_responses(422)},
            summary="What WhatsApp says about one number")
async def get_contact(id: str, phone: PhoneSegment, people: People) -> ContactOut:
    return await people.contact(id, phone)


@router.post("/{id}/contacts/{phone}/block", responses={**LIVE, **error_responses(422)},
             summary="Block a number")
async def block_contact(id: str, phone: PhoneSegment, people: People) -> OkBody:
    await people.block(id, phone, True)
    return OkBody()


@router.post("/{id}/contacts/{phone}/unblock", responses={**LIVE, **error_responses(422)},
             summary="Unblock a number")
async def unblock_contact(id: str, phone: PhoneSegment, people: People) -> OkBody:
    await people.block(id, phone, False)
    return OkBody()


@router.get("/{id}/lids/{lid}", responses={**LIVE, **error_responses(422)},
            summary="The phone number behind a LID (404 where it is not known)")
async def phone_of_lid(id: str, lid: LidSegment, people: People) -> LidOut:
    return await people.phone_of_lid(id, lid)


@router.get("/{id}/lids", responses={**LIVE, **error_responses(422)},
            summary="The LID of a phone number (404 where it is not known)")
async def lid_of_phone(id: str, people: People,
                       phone: Annotated[str, Query(min_length=3, max_length=64)]) -> LidOut:
    return await people.lid_of_phone(id, phone)
