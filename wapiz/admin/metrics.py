"""The deployment's figures that live in the database (devices by status, the send queue,
the broker outputs' backlog, the media store's objects waiting to be deleted), for
Prometheus. They are read at scrape time, at most once per `REFRESH_S` however many
scrapers ask, never on a request's path. Every API process reports
the same cluster-wide values: aggregate them with `max` (docs/metrics.md).
"""

import asyncio
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from wapiz.admin.repository import AdminRepository
from wapiz.config import Settings
from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.outputs.configured import configured_outputs

log = logging.getLogger(__name__)

REFRESH_S = 5.0  # below a usual scrape interval (15 s), above what a burst of scrapes costs


@dataclass
class Snapshot:
    devices: dict[str, int] = field(default_factory=dict)
    queue: dict[str, int] = field(default_factory=dict)
    oldest_due_s: float = 0.0
    outputs: dict[str, tuple[int, float]] = field(default_factory=dict)  # backlog, lag
    unneeded_objects: int = 0


class ClusterGauges(Collector):
    def __init__(self, settings: Settings) -> None:
        self.outputs = [config.name for config in configured_outputs(settings)]
        self.database: Database | None = None  # the app's, once it has started
        self.snapshot: Snapshot | None = None
        self._read_at = float("-inf")
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        """Read the figures again unless they are younger than REFRESH_S. A database that
        does not answer leaves them out of the scrape (the other metrics still go)."""
        async with self._lock:
            if self.database is None or time.monotonic() - self._read_at < REFRESH_S:
                return
            try:
                self.snapshot = await self._read(self.database)
            except Exception:
                log.exception("metrics: could not read the deployment's figures")
                self.snapshot = None
            self._read_at = time.monotonic()

    async def _read(self, database: Database) -> Snapshot:
        now = utc_now()
        async with database.session_scope() as db:
            rows = AdminRepository(db)
            devices = await rows.devices_by_status(now)
            due, later, sending, oldest = await rows.send_queue(now)
            outputs = {}
            for name in self.outputs:
                backlog, oldest_event = await rows.output_backlog(name)
                outputs[name] = (backlog, (now - oldest_event).total_seconds()
                                 if oldest_event else 0.0)
            unneeded_objects = await rows.unneeded_objects()
        return Snapshot(
            devices={status.value: count for status, count in devices.items()},
            queue={"due": due, "scheduled": later, "sending": sending},
            oldest_due_s=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
            outputs=outputs, unneeded_objects=unneeded_objects)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        snapshot = self.snapshot
        if snapshot is None:
            return
        devices = GaugeMetricFamily("wapiz_devices", "Devices (not deleted) by the status the "
                                    "API reports.", labels=["status"])
        for status, count in snapshot.devices.items():
            devices.add_metric([status], count)
        yield devices
        queue = GaugeMetricFamily("wapiz_send_queue_messages", "Outbound messages not sent "
                                  "yet: due (waiting for their device's sender), scheduled "
                                  "(for later), sending.", labels=["state"])
        for state, count in snapshot.queue.items():
            queue.add_metric([state], count)
        yield queue
        yield GaugeMetricFamily("wapiz_send_queue_oldest_age_seconds", "How long the oldest "
                                "due message has waited since it fell due (0: none waits).",
                                value=snapshot.oldest_due_s)
        yield GaugeMetricFamily("wapiz_media_unneeded_objects", "Objects in the media store "
                                "no row names any more, waiting for retention to delete them "
                                "(they pile up while the store is down or refuses).",
                                value=snapshot.unneeded_objects)
        if not self.outputs:
            return
        backlog = GaugeMetricFamily("wapiz_output_backlog_events", "Events a broker output "
                                    "has not published yet.", labels=["output"])
        lag = GaugeMetricFamily("wapiz_output_lag_seconds", "Age of the oldest event a broker "
                                "output has not published (0: none).", labels=["output"])
        for name, (events, seconds) in snapshot.outputs.items():
            backlog.add_metric([name], events)
            lag.add_metric([name], seconds)
        yield backlog
        yield lag
