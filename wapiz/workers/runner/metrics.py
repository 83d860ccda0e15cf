"""A runner's metrics. Registered nowhere (`registry=None`): a runner runs under a supervisor
that gave it a metrics folder (kit/metrics.py: `ChildMetrics`), and prometheus-client's
multiprocess mode writes every value there, where the supervisor's side reads them. (Under
no supervisor, or with metrics off, they are plain counters in memory that nobody reads.)

Labels are bounded: a reason or an outcome from a fixed set, never a device or an account.
"""

from prometheus_client import Counter, Gauge, Histogram

from wapiz.engines import events
from wapiz.kit.metrics import ROUND_TRIP_BUCKETS

# The reasons an engine reports a drop with (engines/events.py); anything else is "other".
DROP_REASONS = frozenset({
    events.LOGGED_OUT, events.REMOVED_FROM_PHONE, events.MAIN_DEVICE_GONE,
    events.TEMPORARY_BAN, events.STREAM_REPLACED, events.KEEPALIVE_TIMEOUT,
    events.CONNECTION_LOST, events.CONNECT_FAILED, events.CLIENT_OUTDATED,
    events.PAIRING_FAILED, events.QR_TIMEOUT, events.WATCHDOG_SILENT,
})

LEASES_HELD = Gauge(
    "wapiz_leases_held", "Devices whose lease the runner processes hold (their sessions).",
    registry=None, multiprocess_mode="livesum")
LEASES_CLAIMED = Counter(
    "wapiz_leases_claimed_total", "Device leases taken by a runner (a start, a take-over).",
    registry=None)
LEASES_LOST = Counter(
    "wapiz_leases_lost_total", "Device leases a runner lost while holding the session: "
    "taken (a renewal came back without the device), fenced (a write found another epoch), "
    "unrenewable (renewals failed for two thirds of the TTL: every session stopped).",
    ["cause"], registry=None)
RECONNECTS = Counter(
    "wapiz_reconnects_total", "Sessions started again after a drop, by the drop's reason "
    "(connect_failed: a connect that failed; logged_out: a new pairing).",
    ["reason"], registry=None)
SENDS = Histogram(
    "wapiz_send_duration_seconds", "Time of one send through the engine, by outcome: sent, "
    "error (refused or failed: retried or failed by the queue's rules), not_connected (the "
    "device dropped first; the message waits for the reconnect).",
    ["outcome"], registry=None, buckets=ROUND_TRIP_BUCKETS)


# Shown from the start, at 0 (a rate needs a series before the first event).
for _cause in ("taken", "fenced", "unrenewable"):
    LEASES_LOST.labels(_cause)
for _outcome in ("sent", "error", "not_connected"):
    SENDS.labels(_outcome)


def reconnected(reason: str) -> None:
    RECONNECTS.labels(reason if reason in DROP_REASONS else "other").inc()
