import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, EmailStr, Field, field_validator

from wapiz.config import SignupMode
from wapiz.kit.schemas import ApiInput, ApiModel, Timestamp, text

Password = Annotated[str, Field(min_length=8, max_length=256)]
Name = Annotated[str, text(strip=True, min_length=1, max_length=100)]


InviteCode = Annotated[str, text(strip=True, min_length=1, max_length=64)]
PlanName = Annotated[str, text(strip=True, min_length=1, max_length=32)]


class RegisterIn(ApiInput):
    email: EmailStr
    password: Password
    name: Name
    invite: InviteCode | None = Field(
        None, description="The invite code (required when the server's sign-up is by "
        "invitation, `WAPIZ_SIGNUP=invite`).")

    @field_validator("email")
    @classmethod
    def _lower(cls, email: str) -> str:
        return email.lower()


class LoginIn(ApiInput):
    email: EmailStr
    password: Annotated[str, Field(min_length=1, max_length=256)]

    @field_validator("email")
    @classmethod
    def _lower(cls, email: str) -> str:
        return email.lower()


class UserOut(ApiModel):
    id: uuid.UUID
    email: str
    name: str
    plan: str
    device_limit: int
    device_count: int
    is_admin: bool
    created_at: Timestamp


class AuthOut(BaseModel):
    user: UserOut
    token: str = Field(description="Send as cookie `wa_token` or `Authorization: Bearer`.")


class SignupOut(ApiModel):
    signup: SignupMode = Field(description="open: anyone; invite: with an invite code "
                               "(`invite` of the sign-up); closed: no sign-up.")


class InviteIn(ApiInput):
    email: EmailStr | None = Field(None, description="Only this email may use the invite.")
    plan: PlanName | None = Field(None, description="The new account's plan (default: free).")

    @field_validator("email")
    @classmethod
    def _lower(cls, email: str | None) -> str | None:
        return email.lower() if email else None


class InviteOut(ApiModel):
    id: uuid.UUID
    email: str | None
    plan: str
    created_at: Timestamp
    expires_at: Timestamp
    used_at: Timestamp | None
    status: Literal["open", "used", "expired"]


class InviteCreated(InviteOut):
    code: str = Field(description="The invite code: shown only in this answer.")
    url: str = Field(description="The sign-up page with the code, to send to the invitee.")


class InvitePage(ApiModel):
    items: list[InviteOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page.")
