"""How pytest-xdist shares the suite among its workers (see `pytest_xdist_make_scheduler` in
tests/conftest.py).

A work unit is a test file on one database: a module's shared server is per database anyway,
so a file's SQLite and PostgreSQL halves can run on two workers at once instead of one after
the other. Units go out in the collection's order (`--no-loadscope-reorder`): sent out longest
first, the heaviest (the fuzz runs, the scale-out proof, the partition) all ran at once on a
2-core machine and outran their bounds. The tests that time runners dying, joining and
draining (marked `alone`) are not shared out at all: `make test` runs them after the rest, one
at a time.
"""

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

