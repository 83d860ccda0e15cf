"""Publishing a group of events to a broker and hearing which it confirmed: NATS JetStream
(a publish ack per message, asked for all at once) and RabbitMQ (publisher confirms). The
event's id is the message id (`Nats-Msg-Id`; AMQP `message_id`), so JetStream's duplicate
window drops a republish and an AMQP consumer can drop one itself.

The client libraries are imported when an output is configured, not before: an API process
without outputs loads neither.
"""

import asyncio
import contextlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from wapiz.outputs.configured import OutputConfig

if TYPE_CHECKING:
    import aio_pika.abc
    import nats.aio.client
    import nats.js
    import nats.js.api

# The stream made when the operator has none: the duplicate window (JetStream's default)
# covers a republish after a publisher died mid-group.
DUPLICATE_WINDOW_S = 120.0


@dataclass(frozen=True)
class Outgoing:
    """An event as a broker message."""

    seq: int
    event_id: str
    device_id: uuid.UUID
    event_type: str
    subject: str  # also the routing key
    body: bytes


Confirmation = BaseException | None  # None: the broker confirmed it


class Publisher(Protocol):
    @property
    def connected(self) -> bool: ...

    async def connect(self) -> None: ...

    async def publish(self, events: Sequence[Outgoing]) -> list[Confirmation]:
        """Publish in the order given (a device's events reach the broker in order) and wait
        for every confirmation together: for each event, None or why it is not confirmed."""
        ...

    async def close(self) -> None: ...


def _connection_lost(error: BaseException) -> BaseException:
    return ConnectionError(f"the connection was lost before the broker confirmed ({error!r})")


class NatsPublisher:
    def __init__(self, config: OutputConfig, timeout: float) -> None:
        self.config = config
        self.timeout = timeout
        self._nc: nats.aio.client.Client | None = None
        self._js: nats.js.JetStreamContext | None = None
        self.last_error: BaseException | None = None

    @property
    def connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    async def connect(self) -> None:
        import nats
        import nats.js.errors

        async def heard(error: Exception) -> None:  # instead of the library's own log line
            self.last_error = error

        # No reconnects inside the client: a lost connection ends it, and the output's
        # loop connects again with its backoff, from the events not yet confirmed. (One
        # attempt is what the client calls "1 reconnect" after the first; 0 means forever.)
        self.last_error = None
        try:
            async with asyncio.timeout(self.timeout):
                self._nc = await nats.connect(
                    self.config.url, name="wapiz", allow_reconnect=False,
                    max_reconnect_attempts=1, reconnect_time_wait=0.1,
                    connect_timeout=self.timeout, error_cb=heard)
        except Exception as exc:
            raise ConnectionError(f"cannot connect: {self.last_error or exc!r}") from exc
        self._js = self._nc.jetstream(timeout=self.timeout)
        try:
            await self._js.stream_info(self.config.destination)
        except nats.js.errors.NotFoundError:
            await self._js.add_stream(name=self.config.destination,
                                      subjects=[f"{self.config.prefix}.>"],
                                      duplicate_window=DUPLICATE_WINDOW_S)

    async def publish(self, events: Sequence[Outgoing]) -> list[Confirmation]:
        assert self._js is not None
        acks: list[asyncio.Future[nats.js.api.PubAck]] = []
        failed: BaseException | None = None
        for event in events:
            try:
                # No `wait_stall`: a group is far below the client's 4,000 pending acks (and
                # with one, each publish costs a task of its own).
                acks.append(await self._js.publish_async(
                    event.subject, event.body, stream=self.config.destination,
                    headers={"Nats-Msg-Id": event.event_id}))
            except Exception as exc:  # the rest cannot go out in order behind it
                failed = exc
                break
        if acks:
            await asyncio.wait(acks, timeout=self.timeout)
        confirmations: list[Confirmation] = []
        for ack in acks:
            if not ack.done():
                ack.cancel()
                confirmations.append(TimeoutError(f"no ack within {self.timeout:g}s"))
            elif ack.cancelled():
                confirmations.append(_connection_lost(asyncio.CancelledError()))
            else:
                confirmations.append(ack.exception())
        missing = failed or ConnectionError("not sent")
        return confirmations + [missing] * (len(events) - len(acks))

    async def close(self) -> None:
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None and not nc.is_closed:
            try:
                await asyncio.wait_for(nc.close(), self.timeout)
            except Exception as exc:
                self.last_error = exc


class AmqpPublisher:
    def __init__(self, config: OutputConfig, timeout: float) -> None:
        self.config = config
        self.timeout = timeout
        self._connection: aio_pika.abc.AbstractConnection | None = None
        self._exchange: aio_pika.abc.AbstractExchange | None = None

    @property
    def connected(self) -> bool:
        return self._connection is not None and not self._connection.is_closed

    async def connect(self) -> None:
        import aio_pika

        # A plain connection, not a "robust" one: the output's loop reconnects, with its
        # backoff, and republishes what was not confirmed.
        self._connection = await aio_pika.connect(self.config.url, timeout=self.timeout,
                                                  client_properties={"connection_name": "wapiz"})
        channel = await self._connection.channel(publisher_confirms=True)
        self._exchange = await channel.declare_exchange(
            self.config.destination, aio_pika.ExchangeType.TOPIC, durable=True)

    async def publish(self, events: Sequence[Outgoing]) -> list[Confirmation]:
        import aio_pika

        exchange = self._exchange
        assert exchange is not None
        # Tasks start in this order and each takes the channel's lock in turn, so the
        # messages are written in this order; their confirmations are awaited together.
        # Not `mandatory`: an event no queue is bound for is the operator's choice to drop.
        sends = [asyncio.ensure_future(exchange.publish(
            aio_pika.Message(event.body, message_id=event.event_id, type=event.event_type,
                             content_type="application/json",
                             delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=event.subject, mandatory=False, timeout=self.timeout))
            for event in events]
        outcomes = await asyncio.gather(*sends, return_exceptions=True)
        return [outcome if isinstance(outcome, BaseException) else None
                for outcome in outcomes]

    async def close(self) -> None:
        connection, self._connection, self._exchange = self._connection, None, None
        if connection is not None and not connection.is_closed:
            # Closing a connection already broken: nothing is left to do.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), self.timeout)


def publisher_for(config: OutputConfig, timeout: float) -> Publisher:
    return NatsPublisher(config, timeout) if config.kind == "nats" else AmqpPublisher(
        config, timeout)
