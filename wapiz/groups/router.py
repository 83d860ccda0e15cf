from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile, status

from wapiz.accounts.deps import TokenFirstRoute
from wapiz.groups.deps import Groups
from wapiz.groups.schemas import (
    GroupChange,
    GroupCreate,
    GroupList,
    GroupOut,
    InviteOut,
    JoinIn,
    JoinPendingOut,
    JoinRequestList,
    ParticipantsChange,
    ParticipantsOut,
    PictureOut,
    RequestsAnswer,
)
from wapiz.kit.schemas import ErrorBody, OkBody, error_responses

# Token-first: a caller without a token gets 401 before any of its body is read.
router = APIRouter(prefix="/api/devices", tags=["groups"], route_class=TokenFirstRoute)

# Every route asks the device's live session: 409 while it is not logged in; a refusal is
# 403 (not allowed: admins only), 404 (WhatsApp does not know it), 501 (the engine cannot),
# 502 (WhatsApp refused), or 503 (the session did not answer; Retry-After).
LIVE = {**error_responses(401, 403, 404, 409, 501, 502),
        503: {"model": ErrorBody, "description": "The session did not answer, or is not "
              "connected; see Retry-After."}}
GROUP = "/{id}/groups/{group}"


@router.get("/{id}/groups", responses=LIVE, summary="The groups the device's number is in")
async def list_groups(id: str, groups: Groups) -> GroupList:
    return await groups.list(id)


@router.post("/{id}/groups", status_code=status.HTTP_201_CREATED, responses=LIVE,
             summary="Create a group with the device's number as its creator (superadmin)")
async def create_group(id: str, body: GroupCreate, groups: Groups) -> GroupOut:
    return await groups.create(id, body)


@router.post("/{id}/groups/join",
             responses={**LIVE, 202: {"model": JoinPendingOut, "description": "The group "
                                      "needs an admin's approval: the request waits for it."}},
             summary="Join a group by its invite link")
async def join_group(id: str, body: JoinIn, groups: Groups,
                     response: Response) -> GroupOut | JoinPendingOut:
    joined = await groups.join(id, body.link)
    if isinstance(joined, JoinPendingOut):
        response.status_code = status.HTTP_202_ACCEPTED
    return joined


@router.get(GROUP, responses=LIVE, summary="A group: its settings and participants")
async def get_group(id: str, group: str, groups: Groups) -> GroupOut:
    return await groups.get(id, group)


@router.patch(GROUP, responses=LIVE,
              summary="Change a group's subject, description, announce, locked or join approval")
async def change_group(id: str, group: str, body: GroupChange, groups: Groups) -> GroupOut:
    return await groups.change(id, group, body)


@router.put(GROUP + "/picture", responses={**LIVE, **error_responses(413)},
            summary="Set a group's picture (a JPEG, as multipart/form-data `file`)")
async def set_group_picture(id: str, group: str, groups: Groups,
                            file: Annotated[UploadFile, File(description="A JPEG image.")],
                            ) -> PictureOut:
    return await groups.set_picture(id, group, await file.read())


@router.post(GROUP + "/participants", responses=LIVE,
             summary="Add, remove, promote or demote participants: an outcome for each")
async def change_participants(id: str, group: str, body: ParticipantsChange,
                              groups: Groups) -> ParticipantsOut:
    return await groups.change_participants(id, group, body)


@router.get(GROUP + "/invite", responses=LIVE, summary="The group's invite link (admins)")
async def invite_link(id: str, group: str, groups: Groups) -> InviteOut:
    return await groups.invite_link(id, group)


@router.delete(GROUP + "/invite", responses=LIVE,
               summary="Revoke the group's invite link: the new one")
async def reset_invite_link(id: str, group: str, groups: Groups) -> InviteOut:
    return await groups.invite_link(id, group, reset=True)


@router.post(GROUP + "/leave", responses=LIVE, summary="Leave the group")
async def leave_group(id: str, group: str, groups: Groups) -> OkBody:
    await groups.leave(id, group)
    return OkBody()


@router.get(GROUP + "/requests", responses=LIVE,
            summary="Requests to join the group waiting for an admin's approval")
async def join_requests(id: str, group: str, groups: Groups) -> JoinRequestList:
    return await groups.requests(id, group)


@router.post(GROUP + "/requests", responses=LIVE,
             summary="Approve or reject requests to join: an outcome for each")
async def answer_join_requests(id: str, group: str, body: RequestsAnswer,
                               groups: Groups) -> ParticipantsOut:
    return await groups.answer_requests(id, group, body)
