"""The admin routes' services, built from the request: the caller must be an admin, read
fresh (not from the token cache), with a login or a key for the whole account."""

from typing import Annotated

from fastapi import Depends, Request

from wapiz.accounts.deps import CurrentUser
from wapiz.accounts.invites import InviteService
from wapiz.accounts.models import User
from wapiz.accounts.repository import UserRepository
from wapiz.admin.service import AdminService
from wapiz.cluster.service import ClusterService
from wapiz.http.deps import SessionDep
from wapiz.kit.errors import Forbidden
from wapiz.kit.text import Text

ADMIN_ONLY = Text("Hanya untuk admin", "Admins only")


async def current_admin(user: CurrentUser, session: SessionDep) -> User:
    user.require_whole_account()
    admin = await UserRepository(session).get(user.id)
    if admin is None or not admin.is_admin or admin.disabled:
        raise Forbidden(ADMIN_ONLY, code="admin_only")
    return admin


AdminUser = Annotated[User, Depends(current_admin)]


async def admin_service(request: Request, admin: AdminUser,
                        session: SessionDep) -> AdminService:
    return AdminService(session, request.app.state.settings, admin)


async def invite_service(request: Request, _: AdminUser,
                         session: SessionDep) -> InviteService:
    return InviteService(session, request.app.state.settings)


async def cluster_service(request: Request, _: AdminUser,
                          session: SessionDep) -> ClusterService:
    return ClusterService(session, request.app.state.settings)


Admin = Annotated[AdminService, Depends(admin_service)]
Cluster = Annotated[ClusterService, Depends(cluster_service)]
Invites = Annotated[InviteService, Depends(invite_service)]
