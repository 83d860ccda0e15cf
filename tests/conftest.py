import os
from collections.abc import Iterator

import pytest

from tests.support import PG_ENV, Api, Deployment, WapizProcess

BACKENDS = ["sqlite", "postgresql"]


def _require(backend: str) -> None:
    if backend == "postgresql" and not os.environ.get(PG_ENV):
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql+asyncpg://…/test)")


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    _require(request.param)
    return request.param


def _deployment(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    deployment = Deployment(backend, tmp_path_factory.mktemp(backend))
    try:
        yield deployment
    finally:
        deployment.close()


@pytest.fixture
def deployment(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """A deployment of the test's own (for crash, restart and multi-process tests)."""
    yield from _deployment(backend, tmp_path_factory)


@pytest.fixture
def migrated(deployment: Deployment) -> Deployment:
    """`deployment`, its database migrated (for tests that work on its rows directly)."""
    deployment.migrate()
    return deployment


@pytest.fixture(scope="module")
def shared_deployment(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    """A deployment shared by a module's tests (each test makes its own users)."""
    yield from _deployment(backend, tmp_path_factory)


@pytest.fixture(scope="module")
def server(shared_deployment: Deployment) -> WapizProcess:
    """`wapiz serve` shared by a module's tests; each test makes its own users."""
    return shared_deployment.serve()


@pytest.fixture(scope="module")
def api(server: WapizProcess) -> Iterator[Api]:
    client = Api(server.url)
    yield client
    client.close()


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    from tests.scheduling import FileAndBackendScheduling

    return FileAndBackendScheduling(config, log)  # type: ignore[arg-type]
