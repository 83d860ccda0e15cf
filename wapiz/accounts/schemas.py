import uuid
from typing import Annotated

from pydantic import BaseModel, EmailStr, Field, field_validator

from wapiz.kit.schemas import ApiInput, ApiModel, Timestamp, text

Password = Annotated[str, Field(min_length=8, max_length=256)]
Name = Annotated[str, text(strip=True, min_length=1, max_length=100)]


class RegisterIn(ApiInput):
    email: EmailStr
    password: Password
    name: Name

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
    created_at: Timestamp


class AuthOut(BaseModel):
    user: UserOut
    token: str = Field(description="Send as cookie `wa_token` or `Authorization: Bearer`.")
