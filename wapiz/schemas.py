"""Schema building blocks every domain uses: camelCase JSON, UTC timestamps, error bodies."""

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel


def format_timestamp(value: datetime) -> str:
    """ISO-8601 UTC with milliseconds and `Z`, as the seed shows: 2024-01-01T00:00:00.000Z."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


Timestamp = Annotated[
    datetime,
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
]


class ApiModel(BaseModel):
    """camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class ApiInput(ApiModel):
    """A request body: unknown fields are a client error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ErrorBody(BaseModel):
    error: str = Field(description="What went wrong, in the request's language "
                       "(Accept-Language: Indonesian by default, or English).")
    code: str | None = Field(None, description="A stable, machine-readable code; absent only "
                             "from the seed's own answers (401 Unauthorized, the plan "
                             "limit's 403).")


class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorBody(ErrorBody):
    details: list[ValidationIssue]


class OkBody(BaseModel):
    ok: bool = True


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the error statuses a route can answer with."""
    return {status: {"model": ErrorBody} for status in statuses}
