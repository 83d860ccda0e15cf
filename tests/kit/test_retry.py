"""The retry policies of the send queue and the webhook deliveries: their waits, their
limits, and which failures end a job at once."""

import uuid
from datetime import UTC, datetime

from wapiz.engines.base import EngineError
from wapiz.workers.dispatcher.queue import Outcome, delivery_retries
from wapiz.workers.runner.sender import send_retries

SCHEDULE = [1.0, 5.0, 30.0]


def outcome(status_code: int | None) -> Outcome:
    return Outcome(uuid.uuid4(), datetime.now(UTC), 5, status_code)


def test_a_delivery_waits_its_schedule_within_a_fifth_then_fails() -> None:
    retries = delivery_retries(SCHEDULE)
    for _ in range(200):
        for failures, wait in enumerate(SCHEDULE, start=1):
            delay = retries.delay(failures, outcome(500))
            assert delay is not None and wait * 0.8 <= delay <= wait * 1.2
    assert retries.delay(len(SCHEDULE) + 1, outcome(500)) is None  # the schedule is spent
    assert retries.delay(1, outcome(410)) is None  # Gone: no retry at all


def test_a_receivers_retry_after_replaces_the_wait_within_bounds() -> None:
    retries = delivery_retries(SCHEDULE)
    assert retries.delay(1, outcome(503), asked=12.0) == 12.0
    assert retries.delay(1, outcome(503), asked=0.0) == 1.0
    assert retries.delay(1, outcome(503), asked=86400.0) == 3600.0
    assert retries.delay(len(SCHEDULE) + 1, outcome(503), asked=12.0) is None


def test_a_send_gets_five_attempts_with_doubling_waits() -> None:
    retries = send_retries(resends_keep_ids=True)
    for _ in range(200):
        for failures in range(1, 5):
            ceiling = min(120.0, 2.0 * 2 ** (failures - 1))
            delay = retries.delay(failures, EngineError("server_error"))
            assert delay is not None and ceiling / 2 <= delay <= ceiling
    assert retries.delay(5, EngineError("server_error")) is None
    assert send_retries(True).cap == 120.0


def test_a_send_the_engine_cannot_make_or_may_have_made_is_not_retried() -> None:
    assert send_retries(True).delay(1, EngineError("unsupported")) is None
    # A timeout may have gone out: resent only where the resend keeps its id.
    assert send_retries(False).delay(1, EngineError("timeout")) is None
    assert send_retries(True).delay(1, EngineError("timeout")) is not None
