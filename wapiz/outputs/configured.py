"""Which outputs the operator configured, and where each event goes in them."""

import uuid
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from wapiz.config import Settings
from wapiz.kit.addresses import mask_credentials

OutputKind = Literal["nats", "amqp"]


@dataclass(frozen=True)
class OutputConfig:
    name: str  # the event_outputs row
    kind: OutputKind
    url: str  # with its password: only for connecting
    destination: str  # the JetStream stream, or the exchange
    prefix: str  # first token of subjects and routing keys

    @property
    def target(self) -> str:
        """The URL as people may see it: its password masked (a NATS token, a user name
        alone, too)."""
        parts = urlsplit(mask_credentials(self.url))
        user, at, host = parts.netloc.rpartition("@")
        if at and ":" not in user:
            parts = parts._replace(netloc=f"***@{host}")
        return urlunsplit(parts)

    def subject(self, user_id: uuid.UUID, device_public_id: uuid.UUID, event_type: str) -> str:
        """`wapiz.<userId>.<deviceId>.<type>`: the account is the user owning the device, the
        device its public `deviceId`, the type as the event names it (`message.received`:
        its dot makes two tokens)."""
        return f"{self.prefix}.{user_id}.{device_public_id}.{event_type}"


def configured_outputs(settings: Settings) -> list[OutputConfig]:
    outputs = []
    if settings.events_nats_url is not None:
        outputs.append(OutputConfig("nats", "nats", settings.events_nats_url.get_secret_value(),
                                    settings.events_nats_stream, settings.events_prefix))
    if settings.events_amqp_url is not None:
        outputs.append(OutputConfig("amqp", "amqp", settings.events_amqp_url.get_secret_value(),
                                    settings.events_amqp_exchange, settings.events_prefix))
    return outputs
