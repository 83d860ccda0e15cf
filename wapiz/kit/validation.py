"""Validation failures in the words of the request's language.

pydantic words its failures in English. Each has a stable `type` and the values it was
about (`ctx`): the Indonesian words come from a table keyed by that type, filled from the
`ctx`. Our own validators raise `invalid(code, Text(...))`, which carries both languages
itself; its `type` is our code.
"""

import re
from collections.abc import Mapping
from typing import Any

from pydantic_core import PydanticCustomError

from wapiz.kit.text import Language, Text

# pydantic's failure types → the Indonesian words, with `{ctx}` placeholders. English is
# pydantic's own message. A type not listed falls back to `GENERIC` in Indonesian.
INDONESIAN: dict[str, str] = {
    "missing": "Wajib diisi",
    "extra_forbidden": "Kolom ini tidak dikenal",
    "string_type": "Harus berupa teks",
    "string_too_short": "Minimal {min_length} karakter",
    "string_too_long": "Maksimal {max_length} karakter",
    "string_pattern_mismatch": "Harus cocok dengan pola '{pattern}'",
    "string_unicode": "Harus berupa teks Unicode yang valid",
    "int_type": "Harus berupa bilangan bulat",
    "int_parsing": "Harus berupa bilangan bulat",
    "int_from_float": "Harus berupa bilangan bulat, tanpa pecahan",
    "float_type": "Harus berupa angka",
    "float_parsing": "Harus berupa angka",
    "finite_number": "Harus berupa angka terhingga",
    "bool_type": "Harus berupa boolean (true atau false)",
    "bool_parsing": "Harus berupa boolean (true atau false)",
    "greater_than": "Harus lebih dari {gt}",
    "greater_than_equal": "Harus lebih dari atau sama dengan {ge}",
    "less_than": "Harus kurang dari {lt}",
    "less_than_equal": "Harus kurang dari atau sama dengan {le}",
    "multiple_of": "Harus kelipatan {multiple_of}",
    "literal_error": "Harus salah satu dari: {expected}",
    "enum": "Harus salah satu dari: {expected}",
    "uuid_type": "Harus berupa UUID",
    "uuid_parsing": "Harus berupa UUID yang valid",
    "uuid_version": "Versi UUID harus {expected_version}",
    "datetime_type": "Harus berupa waktu ISO-8601",
    "datetime_parsing": "Harus berupa waktu ISO-8601 yang valid",
    "datetime_from_date_parsing": "Harus berupa waktu ISO-8601 yang valid",
    "datetime_object_invalid": "Waktu tidak valid",
    "timezone_aware": "Waktu harus menyertakan zona waktu",
    "timezone_naive": "Waktu tidak boleh menyertakan zona waktu",
    "list_type": "Harus berupa daftar (array)",
    "too_short": "Minimal {min_length} item",
    "too_long": "Maksimal {max_length} item",
    "dict_type": "Harus berupa objek",
    "model_type": "Harus berupa objek",
    "model_attributes_type": "Harus berupa objek",
    "dataclass_type": "Harus berupa objek",
    "none_required": "Harus null",
    "json_invalid": "JSON tidak valid",
    "json_type": "JSON tidak valid",
    "url_type": "Harus berupa URL",
    "url_parsing": "URL tidak valid",
    "url_scheme": "Skema URL harus {expected_schemes}",
    "url_too_long": "URL maksimal {max_length} karakter",
    "union_tag_invalid": "Nilai {tag} tidak dikenal; pilihan: {expected_tags}",
    "union_tag_not_found": "Kolom penentu {discriminator} wajib diisi",
    "bytes_type": "Harus berupa data biner",
    "value_error": "Nilai tidak valid",
    "assertion_error": "Nilai tidak valid",
}
GENERIC = "Nilai tidak valid"

SUMMARY = Text("Data tidak valid: {where}{problem}", "Invalid data: {where}{problem}")
MORE = Text(" (dan {count} masalah lain)", " (and {count} more)")
# Where a failure is: `body.email` is just `email` to the person who sent the body.
SOURCES = ("body", "query", "path", "header", "cookie")


def invalid(code: str, text: Text) -> PydanticCustomError:
    """A failure of one of our validators, in both languages; `code` becomes its `type`.

    Raise it from any validator: pydantic keeps it as it is (it is a ValueError)."""
    return PydanticCustomError(code, "{text}", {"text": text})


# pydantic names a choice that is an enum member by its repr: `<MessageStatus.SENT: 'sent'>`.
_MEMBER = re.compile(r"<\w+\.\w+: ('[^']*')>")


def _plain_members(words: str) -> str:
    """Choices as a client writes them: `'sent'`, not the member's repr."""
    return _MEMBER.sub(r"\1", words)


def message(error: Mapping[str, Any], language: Language) -> str:
    """One pydantic failure in the given language."""
    context = error.get("ctx") or {}
    ours = context.get("text")
    if isinstance(ours, Text):
        return ours(language)
    if language == "en":
        return _plain_members(str(error.get("msg", "")))
    template = INDONESIAN.get(str(error.get("type", "")), GENERIC)
    expected = context.get("expected")
    if isinstance(expected, str):  # pydantic's list of choices: "'a', 'b' or 'c'"
        context = {**context, "expected": _plain_members(expected).replace(" or ", " atau ")}
    try:
        return template.format(**context)
    except (KeyError, IndexError, ValueError):  # a ctx without the expected value
        return GENERIC


def where(location: tuple[Any, ...] | list[Any]) -> str:
    """`("body", "recipients", 0, "to")` → `recipients[0].to`."""
    parts = list(location)
    if parts and parts[0] in SOURCES:
        parts = parts[1:]
    shown = ""
    for part in parts:
        if isinstance(part, int):
            shown += f"[{part}]"
        else:
            shown += ("." if shown else "") + str(part)
    return shown


def reason(error: Mapping[str, Any]) -> Text:
    """One pydantic failure in both languages. Our settings' own checks (`value_error`) say
    their reason in English only, which Indonesian keeps rather than losing it."""
    if error.get("type") in ("value_error", "assertion_error"):
        return Text(str(error.get("msg", "")).removeprefix("Value error, "),
                    str(error.get("msg", "")).removeprefix("Value error, "))
    return Text(message(error, "id"), message(error, "en"))


def details(errors: list[dict[str, Any]], language: Language) -> list[dict[str, Any]]:
    """What tells the client what to fix; pydantic's URLs and echoed inputs are left out."""
    return [{"loc": list(error.get("loc", ())), "msg": message(error, language),
             "type": error.get("type", "")} for error in errors]


def summary(errors: list[dict[str, Any]]) -> Text:
    """The top-level words of a failed validation: the first field and its problem."""
    if not errors:
        return SUMMARY.format(where="", problem="")
    first = errors[0]
    field = where(first.get("loc", ()))
    text = Text(*(
        SUMMARY(language).format(where=f"{field}: " if field else "",
                                 problem=message(first, language))
        for language in ("id", "en")))
    if len(errors) > 1:
        more = MORE.format(count=len(errors) - 1)
        text = Text(text.id + more.id, text.en + more.en)
    return text
