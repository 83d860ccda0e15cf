"""How pytest-xdist shares the suite among its workers (see `pytest_xdist_make_scheduler` and
`pytest_collection_modifyitems` in tests/conftest.py).

A work unit is a test file on one database: a module's shared server is per database anyway,
so a file's SQLite and PostgreSQL halves can run on two workers at once instead of one after
the other. Units go out longest first, judged by the tests' own timeout (the default for most),
so the few that run for minutes start at once rather than becoming the run's tail.
"""

import pytest
from xdist.scheduler import LoadScopeScheduling

BACKENDS = ("sqlite", "postgresql")


def backend_of(nodeid: str) -> str:
    """The database a test runs on, from its parameter id (`test_x[sqlite]`,
    `test_y[postgresql-5]`); "" for a test that runs on neither."""
    if not nodeid.endswith("]") or "[" not in nodeid:
        return ""
    parameters = nodeid[nodeid.rindex("[") + 1:-1].split("-")
    return next((part for part in parameters if part in BACKENDS), "")


# Files whose two halves run one after the other on one worker: each fuzz run keeps both cores
# of a small machine busy, and two at once beside the other tests outran their timeout.
WHOLE_FILES = frozenset({"tests/test_fuzz.py"})


class FileAndBackendScheduling(LoadScopeScheduling):
    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        return path if path in WHOLE_FILES else f"{path}[{backend_of(nodeid)}]"


def longest_first(items: list[pytest.Item], default_timeout: float) -> None:
    """Order the collection by timeout, longest first (stable: a file's tests keep their
    order). Every worker sorts the same collection the same way, as xdist requires."""
    def timeout(item: pytest.Item) -> float:
        marker = item.get_closest_marker("timeout")
        return float(marker.args[0]) if marker is not None and marker.args else default_timeout

    items.sort(key=timeout, reverse=True)
