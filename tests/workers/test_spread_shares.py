"""The fair share: every runner computes the same water level from the same rows, and the
shares hold every device (or every capacity) without anyone above its capacity."""

import pytest

from wapiz.workers.runner.spread import fair_share, water_level


@pytest.mark.parametrize(("devices", "capacities", "level"), [
    (30, [1000, 1000], 15),
    (30, [1000, 1000, 1000], 10),
    (31, [1000, 1000, 1000], 11),
    (100, [10, 1000], 90),  # the small runner is full: the other takes the rest
    (6, [4], 4),  # more devices than capacity: the rest wait
    (0, [1000], 0),
    (5, [], 0),
])
def test_the_water_level(devices: int, capacities: list[int], level: int) -> None:
    assert water_level(devices, capacities) == level


@pytest.mark.parametrize("capacities", [[7, 7, 7], [3, 50, 50, 8], [1, 1, 100], [20, 5]])
@pytest.mark.parametrize("devices", [0, 1, 9, 10, 11, 57, 300])
def test_shares_hold_every_device_within_capacity(devices: int, capacities: list[int]) -> None:
    shares = [fair_share(devices, mine, capacities[:i] + capacities[i + 1:])
              for i, mine in enumerate(capacities)]
    assert all(0 <= share <= capacity for share, capacity in zip(shares, capacities, strict=True))
    assert sum(shares) >= min(devices, sum(capacities))
    # Even: one level for all, each runner capped by its capacity.
    level = max(shares)
    assert shares == [min(capacity, level) for capacity in capacities]
