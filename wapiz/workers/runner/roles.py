"""Which devices a runner process holds: all of them, or, with an engine that leaks per
connect (whatsmeow, docs/architecture.md), one of two kinds.

neonize leaks a key-store handle for every connect that reaches its Go library, and nothing
can close it but the end of the process. So the sessions that stay up and the devices that
keep reaching Go without staying up live in processes of their own:

- `linked`: devices with a linked session (logged in) and fewer than `STREAK` failed
  connects in a row. This process never recycles: nothing in it restarts a session for
  another device's sake.
- `quarantine`: the rest (never linked and showing QR codes nobody scans, logged out, or
  failing `STREAK` times in a row). Its leak is bounded by recycling this process, which
  touches only devices that have no working session to lose.

The rule is read from each device's session row, which its worker keeps current: a device
that logs in (or is logged out, or starts failing) no longer fits the process holding it,
which hands it back (session stopped, lease released, fenced by epoch); the other claims it.
A process runs only while devices of its kind exist (runner/supervisor.py), so one device
still means one runner process.
"""

from enum import StrEnum

from sqlalchemy import ColumnElement, and_, not_, true

from wapiz.devices.models import DeviceSession

# Failed connects in a row after which a linked device goes to quarantine: a few failures are
# a network blip (and cost Go nothing while its route is down: engines/whatsmeow/route.py);
# more are a device that keeps reaching Go without staying up.
STREAK = 5


class Role(StrEnum):
    ALL = "all"
    LINKED = "linked"
    QUARANTINE = "quarantine"


def roles_for(engine: str) -> tuple[Role, ...]:
    """The runner processes a supervisor keeps for an engine."""
    return (Role.LINKED, Role.QUARANTINE) if engine == "whatsmeow" else (Role.ALL,)


def fits(role: Role) -> ColumnElement[bool]:
    """The session rows a runner of `role` may hold (every row fits exactly one of linked and
    quarantine)."""
    if role is Role.ALL:
        return true()
    healthy = and_(DeviceSession.logged_in.is_(True), DeviceSession.failures < STREAK)
    return healthy if role is Role.LINKED else not_(healthy)
