"""How the processes use the database: SQLite in WAL mode; named connections on PostgreSQL."""

from tests.support import Deployment, db_rows, wait_until


def test_processes_use_the_database_as_documented(deployment: Deployment) -> None:
    _server, api, _, _ = deployment.serve_with_linked_device()
    api.close()
    if deployment.backend == "sqlite":
        # WAL lets the API read while the runner writes; the mode is stored in the file.
        assert db_rows(deployment.database_url, "PRAGMA journal_mode") == [("wal",)]
        return

    def application_names() -> set[str]:
        rows = db_rows(deployment.database_url,
                       "SELECT application_name FROM pg_stat_activity "
                       "WHERE datname = current_database()")
        return {name for (name,) in rows}

    # `pg_stat_activity` tells the API's connections from the runner's.
    wait_until(lambda: {"wapiz-api", "wapiz-runner"} <= application_names(), timeout=10)
