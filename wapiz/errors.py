"""One error base for the whole gateway. Services raise `WapizError` subclasses;
`wapiz.error_handlers` is the one place that turns them (and every other error) into
responses. No web framework here: runners raise these too and never load one.
"""


class WapizError(Exception):
    status_code = 500
    message = "Terjadi kesalahan pada server"

    def __init__(self, message: str | None = None, headers: dict[str, str] | None = None):
        self.message = message or self.message
        self.headers = headers
        super().__init__(self.message)


class BadRequest(WapizError):
    status_code = 400
    message = "Permintaan tidak valid"


class Unauthorized(WapizError):
    status_code = 401
    message = "Unauthorized"  # the seed's exact text


class Forbidden(WapizError):
    status_code = 403
    message = "Forbidden"


class NotFound(WapizError):
    status_code = 404
    message = "Tidak ditemukan"


class Conflict(WapizError):
    status_code = 409
    message = "Konflik"


class Gone(WapizError):
    """It was here, and was deleted on purpose (retention): asking again will not help."""

    status_code = 410
    message = "Sudah dihapus"


class PayloadTooLarge(WapizError):
    status_code = 413
    message = "Data terlalu besar"


class InvalidInput(WapizError):
    """Well-formed, but not something the gateway can act on (an unknown recipient)."""

    status_code = 422
    message = "Data tidak valid"


class TooManyRequests(WapizError):
    status_code = 429
    message = "Terlalu banyak permintaan"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})


class BadGateway(WapizError):
    """WhatsApp (through the device's session) refused or failed what was asked."""

    status_code = 502
    message = "WhatsApp tidak menjawab"


class ServiceUnavailable(WapizError):
    status_code = 503
    message = "Layanan belum tersedia"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})


VALIDATION_MESSAGE = "Data tidak valid"
