"""Standard Webhooks signatures: `webhook-id`, `webhook-timestamp` and `webhook-signature`
(`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`), made with the specification's own
library, so every verifier of the specification accepts them unchanged."""

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
USER_AGENT = "WAPIZ-Webhooks/1"


def new_secret() -> str:
    """`whsec_` and 32 random bytes in base64, as the specification describes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signed_headers(event_id: str, body: str, signing_secrets: Sequence[str],
                   at: datetime) -> dict[str, str]:
    """The headers of one attempt, signed with every current secret (two while a rotation
    lasts: receivers that know either accept it)."""
    signatures = " ".join(Webhook(secret).sign(event_id, at, body) for secret in signing_secrets)
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
