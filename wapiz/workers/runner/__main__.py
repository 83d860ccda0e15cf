"""`python -m wapiz.workers.runner --identity ID --parent-pid PID [--name NAME] [--role ROLE]`:
the runner process itself, as its supervisor starts it (runner/supervisor.py).

An entry point of its own so that the process holding the sessions does not load the command
line's framework (typer, rich) for the few arguments a supervisor passes.
"""

import argparse
import logging
import sys
from typing import NoReturn

from wapiz.config import ConfigError, load_settings
from wapiz.kit.text import cli_language
from wapiz.workers.runner.process import run_runner_process
from wapiz.workers.runner.roles import Role
from wapiz.workers.runner.supervisor import CONFIG_ERROR_EXIT


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m wapiz.workers.runner")
    parser.add_argument("--identity", required=True)
    parser.add_argument("--parent-pid", type=int)
    parser.add_argument("--name")
    parser.add_argument("--role", type=Role, choices=list(Role), default=Role.ALL)
    args = parser.parse_args()
    try:
        settings = load_settings(runner_name=args.name)
    except ConfigError as exc:
        _refuse(exc)
    except ValueError as exc:  # its supervisor checked the same settings: hardly ever
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(CONFIG_ERROR_EXIT) from None
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))
    try:
        run_runner_process(settings, args.identity, args.parent_pid, args.role)
    except ConfigError as exc:
        _refuse(exc)


def _refuse(problem: ConfigError) -> NoReturn:
    """One line in the command line's language (as `wapiz` says it), and the exit status
    that tells the supervisor not to restart."""
    print(f"error: {problem.text(cli_language())}", file=sys.stderr)
    raise SystemExit(CONFIG_ERROR_EXIT)


if __name__ == "__main__":
    main()
