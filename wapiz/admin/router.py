from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from wapiz.accounts.deps import TokenFirstRoute, principal_cache
from wapiz.accounts.schemas import InviteCreated, InviteIn, InvitePage
from wapiz.admin.deps import Admin, AdminUser, Cluster, Invites
from wapiz.admin.schemas import (
    AdminDevicePage,
    AdminUserOut,
    AdminUserPage,
    AdminUserPatch,
    HealthOut,
    OutputList,
    SearchText,
    SettingsOut,
    SettingsPatch,
)
from wapiz.cluster.schemas import ClusterOut
from wapiz.devices.models import StatusName
from wapiz.kit.paging import CREATED_CURSOR_PATTERN
from wapiz.kit.schemas import error_responses

# Token-first: a caller without a token gets 401 before any of its body is read.
router = APIRouter(prefix="/api/admin", tags=["admin"], route_class=TokenFirstRoute)

Cursor = Annotated[str | None, Query(pattern=CREATED_CURSOR_PATTERN,
                                     description="`nextCursor` of the previous page.")]
Limit = Annotated[int, Query(ge=1, le=200)]
Search = Annotated[SearchText | None, Query(description="Part of the email (devices: or of "
                                                        "the label).")]


@router.get("/users", responses=error_responses(401, 403), summary="Users, newest first")
async def list_users(admin: Admin, q: Search = None, cursor: Cursor = None,
                     limit: Limit = 50) -> AdminUserPage:
    items, next_cursor = await admin.users(q, cursor, limit)
    return AdminUserPage(items=items, next_cursor=next_cursor)


@router.patch(
    "/users/{id}",
    responses=error_responses(401, 403, 404, 409),
    summary="Change a user's plan, admin rights or whether disabled (a disabled user's "
    "tokens and keys stop working at once)",
)
async def change_user(id: str, body: AdminUserPatch, admin: Admin,
                      request: Request) -> AdminUserOut:
    changed = await admin.change_user(id, body)
    if changed.disabled:
        principal_cache(request).evict_where(
            lambda principal: principal is not None and principal.id == changed.id)
    return changed


@router.get("/devices", responses=error_responses(401, 403),
            summary="Devices across accounts, newest first, with owner and status")
async def list_devices(
    admin: Admin, q: Search = None, status: StatusName | None = None, cursor: Cursor = None,
    limit: Limit = 50,
) -> AdminDevicePage:
    items, next_cursor = await admin.devices(q, status, cursor, limit)
    return AdminDevicePage(items=items, next_cursor=next_cursor)


@router.get("/health", responses=error_responses(401, 403),
            summary="The server's health: database, runners and leases, queues, version")
async def health(admin: Admin) -> HealthOut:
    return await admin.health()


@router.get("/cluster", responses=error_responses(401, 403),
            summary="The processes of the deployment: API and runner nodes with their roles, "
            "versions, capacity, devices held, heartbeat age and whether draining")
async def cluster(cluster: Cluster) -> ClusterOut:
    return await cluster.status()


@router.get("/outputs", responses=error_responses(401, 403),
            summary="The broker outputs (NATS JetStream, RabbitMQ): state, last error, events "
            "published, backlog and the age of its oldest event")
async def outputs(admin: Admin) -> OutputList:
    return await admin.outputs()


@router.get("/settings", responses=error_responses(401, 403),
            summary="The sign-up mode (and where it comes from) and the plans with their "
            "device limits")
async def settings(admin: Admin) -> SettingsOut:
    return await admin.settings_out()


@router.patch("/settings", responses=error_responses(401, 403),
              summary="Change the sign-up mode at run time (stored in the database; every API "
              "process follows at once; null: back to WAPIZ_SIGNUP)")
async def change_settings(body: SettingsPatch, admin: Admin) -> SettingsOut:
    return await admin.change_settings(body)


@router.post(
    "/invites",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 403, 409),
    summary="Make a single-use invite (the code is shown only in this answer)",
)
async def create_invite(body: InviteIn, invites: Invites, admin: AdminUser) -> InviteCreated:
    return await invites.make(admin.id, body.email, body.plan)


@router.get("/invites", responses=error_responses(401, 403), summary="Invites, newest first")
async def list_invites(invites: Invites, cursor: Cursor = None,
                       limit: Limit = 50) -> InvitePage:
    items, next_cursor = await invites.page(cursor, limit)
    return InvitePage(items=items, next_cursor=next_cursor)


@router.delete(
    "/invites/{id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(401, 403, 404),
    summary="Delete an invite: its code no longer works",
)
async def delete_invite(id: str, invites: Invites) -> Response:
    await invites.revoke(id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
