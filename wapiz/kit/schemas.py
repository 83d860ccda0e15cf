"""Schema building blocks every domain uses: camelCase JSON, UTC timestamps, error bodies,
and the input types every text and time from a request goes through."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from annotated_types import GroupedMetadata
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
    StringConstraints,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from wapiz.kit.text import Text
from wapiz.kit.validation import invalid


def format_timestamp(value: datetime) -> str:
    """ISO-8601 UTC with milliseconds and `Z`, as the seed shows: 2024-01-01T00:00:00.000Z."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


Timestamp = Annotated[
    datetime,
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
]


# --- input types ------------------------------------------------------------------------

NUL_FREE = r"^[^\x00]*$"
NUL_CHARACTER = Text("Tidak boleh berisi karakter NUL", "Must not contain NUL characters")


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise invalid("nul_character", NUL_CHARACTER)
    return value


class _NulFree:
    """PostgreSQL cannot store NUL in text (nor in JSON), and no message needs one: refused
    on both databases alike, and the description says so (a pattern)."""

    def __get_pydantic_core_schema__(self, source: Any,
                                     handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(_no_nul, handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.setdefault("pattern", NUL_FREE)
        return json_schema


@dataclass(frozen=True)
# Lower case: read as part of a type, as pydantic's `Field(...)` is.
class text(GroupedMetadata):
    """The one type of every text a request gives that may reach the database:
    `Annotated[str, text(max_length=256)]`, a type alias the type checker reads as `str`.
    Pydantic unpacks it into the length rules, then the NUL refusal."""

    min_length: int | None = None
    max_length: int | None = None
    strip: bool = False

    def __iter__(self) -> Iterator[object]:
        yield from StringConstraints(strip_whitespace=self.strip, min_length=self.min_length,
                                     max_length=self.max_length)
        yield _NulFree()


NOT_ISO_TIME = Text("Harus berupa waktu ISO-8601, mis. 2026-11-25T08:00:00+07:00",
                    "Must be an ISO-8601 time, e.g. 2026-11-25T08:00:00+07:00")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _iso_text(value: Any) -> Any:
    """Times come as ISO-8601 text, as described: not as numbers of seconds, which pydantic
    would otherwise read (`0.5`, `"1700000000"`)."""
    if isinstance(value, str) and ISO_DATE.match(value):
        return value
    raise invalid("datetime_format", NOT_ISO_TIME)


OUT_OF_RANGE = Text("Waktu di luar jangkauan (tahun 1 sampai 9999 dalam UTC)",
                    "The time is out of range (years 1 to 9999 in UTC)")


def _in_utc(moment: datetime) -> datetime:
    """The moment in UTC; one without a zone is taken as UTC. A moment a zone pushes past
    the years 1-9999 in UTC (`0001-01-01T00:00+14:00`) cannot be stored or compared."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise invalid("datetime_out_of_range", OUT_OF_RANGE) from None


# A time with its zone (a body's), and one where a missing zone means UTC (a query's).
Moment = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_in_utc)]
QueryMoment = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_in_utc)]


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
    details: list[ValidationIssue] = Field(
        default_factory=list,
        description="Each problem of a malformed request; absent when the request was "
        "well-formed but cannot be acted on (an unknown recipient).")


class OkBody(BaseModel):
    ok: bool = True


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the error statuses a route can answer with."""
    return {status: {"model": ErrorBody} for status in statuses}
