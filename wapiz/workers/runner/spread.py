"""How many devices a runner should hold: its fair share of the devices of its kind among
the runners of that kind that are alive and not draining (their rows in `nodes`), each
capped by its capacity (`WAPIZ_RUNNER_CAPACITY`).

The share is a water level: the smallest count L such that the runners, each holding
min(capacity, L), hold every device (or every runner's capacity, when the devices are more).
With equal capacities it is ceil(devices / runners). Every runner computes the same level from
the same rows, so the shares add up to the devices without talking to each other.

A runner claims only up to its share, and one holding more than its share plus SLACK hands
the extras over (runner.py): the slack keeps a runner from handing a device back and forth
when the count moves by one.
"""

import math
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.cluster.nodes import NodeCard, NodeRows
from wapiz.workers.runner.leases import LeaseRepository

SLACK = 1


def water_level(devices: int, capacities: Sequence[int]) -> int:
    """The smallest L with sum(min(c, L)) >= devices (the largest capacity if none is)."""
    if not capacities or devices <= 0:
        return 0
    remaining, left = devices, len(capacities)
    for capacity in sorted(capacities):
        if capacity * left >= remaining:
            return math.ceil(remaining / left)
        remaining -= capacity
        left -= 1
    return max(capacities)


def fair_share(devices: int, my_capacity: int, others: Sequence[int]) -> int:
    """This runner's share, beside live runners of the given capacities."""
    return min(my_capacity, water_level(devices, [my_capacity, *others]))


async def share_of(session: AsyncSession, me: NodeCard, fits: ColumnElement[bool],
                   alive_for: timedelta) -> int:
    """Read the devices of this runner's kind and the live runners sharing them: its share."""
    assert me.runner_role is not None and me.capacity is not None
    devices = await LeaseRepository(session, me.name).count_fitting(fits)
    runners = await NodeRows(session).live_runners(me.runner_role, alive_for)
    return fair_share(devices, me.capacity,
                      [runner.capacity for runner in runners if runner.name != me.name])
