"""The broker output tests need the machine's NATS and RabbitMQ; each gets a stream or an
exchange of its own, deleted after."""

import asyncio
from collections.abc import Iterator

import pytest

from tests.outputs.brokers import (
    NATS_URL,
    AmqpQueue,
    nats_delete_stream,
    require_brokers,
    unique_name,
)


@pytest.fixture(autouse=True)
def _brokers() -> None:
    require_brokers()


@pytest.fixture
def nats_stream() -> Iterator[tuple[str, str]]:
    """A stream name and subject prefix of the test's own, on the machine's NATS."""
    stream, prefix = unique_name("stream"), unique_name("p")
    yield stream, prefix
    asyncio.run(nats_delete_stream(NATS_URL, stream))


@pytest.fixture
def amqp_queue() -> Iterator[AmqpQueue]:
    """An exchange and subject prefix of the test's own, and a queue bound to them."""
    queue = AmqpQueue(unique_name("exchange"), unique_name("p"))
    asyncio.run(queue.declare())
    yield queue
    asyncio.run(queue.delete())
