"""One error base for the whole gateway. Services raise `WapizError` subclasses;
`wapiz.http.error_handlers` is the one place that turns them (and every other error) into
responses. No web framework here: runners raise these too and never load one.

Every error has a stable `code` (for programs) and a `Text` (for people, in both languages).
A raise names its own code where the class's is too broad to act on
(`Conflict(ALREADY_LINKED, code="device_already_linked")`).
"""

from typing import Any

from wapiz.kit.text import Text


class WapizError(Exception):
    status_code = 500
    code = "internal_error"
    text = Text("Terjadi kesalahan pada server", "Something went wrong on the server")
    # The seed's own answers (401 Unauthorized, the plan limit's 403) are kept to the byte:
    # `{"error": <its words>}`, the same in every language, without a code.
    seed_exact = False

    def __init__(
        self,
        text: Text | None = None,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        self.text = text or self.text
        self.code = code or self.code
        self.headers = headers
        self.details = details
        super().__init__(self.text.en)

    @property
    def message(self) -> str:
        """The Indonesian words (the default language), for logs and the CLI's default."""
        return self.text.id


class BadRequest(WapizError):
    status_code = 400
    code = "bad_request"
    text = Text("Permintaan tidak valid", "Bad request")


class Unauthorized(WapizError):
    status_code = 401
    code = "unauthorized"
    text = Text("Unauthorized", "Unauthorized")  # the seed's exact text

    def __init__(self, text: Text | None = None, *, code: str | None = None) -> None:
        super().__init__(text, code=code)
        self.seed_exact = text is None  # the seed's own 401; a failed login says more


class Forbidden(WapizError):
    status_code = 403
    code = "forbidden"
    text = Text("Akses ditolak", "Forbidden")


class NotFound(WapizError):
    status_code = 404
    code = "not_found"
    text = Text("Tidak ditemukan", "Not found")


class Conflict(WapizError):
    status_code = 409
    code = "conflict"
    text = Text("Konflik", "Conflict")


class Gone(WapizError):
    """It was here, and was deleted on purpose (retention): asking again will not help."""

    status_code = 410
    code = "gone"
    text = Text("Sudah dihapus", "Deleted")


class PayloadTooLarge(WapizError):
    status_code = 413
    code = "too_large"
    text = Text("Data terlalu besar", "Too large")


class InvalidInput(WapizError):
    """Well-formed, but not something the gateway can act on (an unknown recipient)."""

    status_code = 422
    code = "invalid_input"
    text = Text("Data tidak valid", "Invalid data")


class TooManyRequests(WapizError):
    status_code = 429
    code = "too_many_requests"
    text = Text("Terlalu banyak permintaan", "Too many requests")

    def __init__(self, text: Text, retry_after: int, *, code: str | None = None) -> None:
        super().__init__(text, code=code, headers={"Retry-After": str(retry_after)})


class HeadersTooLarge(WapizError):
    status_code = 431
    code = "headers_too_large"
    text = Text("Header permintaan terlalu besar atau terlalu banyak",
                "The request's headers are too large or too many")


class BadGateway(WapizError):
    """WhatsApp (through the device's session) refused or failed what was asked."""

    status_code = 502
    code = "whatsapp_error"
    text = Text("WhatsApp tidak menjawab", "WhatsApp did not answer")


class NotSupportedByEngine(WapizError):
    """The configured engine has no way to do this (its library lacks the call)."""

    status_code = 501
    code = "not_supported_by_engine"
    text = Text("Engine WhatsApp yang dipakai server ini tidak mendukung ini",
                "The WhatsApp engine this server runs does not support this")


class ServiceUnavailable(WapizError):
    status_code = 503
    code = "unavailable"
    text = Text("Layanan belum tersedia", "Not available yet")

    def __init__(self, text: Text, retry_after: int, *, code: str | None = None) -> None:
        super().__init__(text, code=code, headers={"Retry-After": str(retry_after)})

