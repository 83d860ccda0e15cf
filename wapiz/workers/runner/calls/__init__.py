"""What a device's session does for each kind of device request (devices/requests.py: the
API asks, the runner holding the device answers). One module per subject, each with its
`CALLS` table (kind → call); this package joins them. A call raises `EngineError` to refuse
(`NotSupported` where the engine lacks it: the API answers 501)."""

from wapiz.workers.runner.calls import chats, devices, groups, labels, people
from wapiz.workers.runner.calls.base import SessionCall

CALLS: dict[str, SessionCall] = {**devices.CALLS, **chats.CALLS, **groups.CALLS,
                                 **labels.CALLS, **people.CALLS}

__all__ = ["CALLS", "SessionCall"]
