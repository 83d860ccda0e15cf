"""The data folder is private to the account that runs WAPIZ: it holds the secret key, the
SQLite database (password hashes, webhook secrets) and every device's WhatsApp keys.

Every WAPIZ process sets its umask to 077 before it opens anything, so whatever it — or the
libraries it loads (SQLite's -wal/-shm/journal files, the lock files beside the database, the
Go library's key stores) — creates is 0600 (folders 0700), and its runner child inherits
that. A data folder left readable by others by an older version is tightened at start.
"""

import logging
import os
import stat
from pathlib import Path

from sqlalchemy.engine import make_url

from wapiz.config import Settings

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def _tighten(path: Path) -> bool:
    """Take group and others' access away from one file or folder; True if it had some."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(mode) or not mode & 0o077:
        return False
    path.chmod(PRIVATE_DIR if stat.S_ISDIR(mode) else PRIVATE_FILE)
    return True


def _sqlite_files(settings: Settings) -> list[Path]:
    """The SQLite database and the files beside it named after it (-wal, -shm, -journal,
    the write-turn locks, the wake-ups folder), wherever it lives."""
    if not settings.is_sqlite:
        return []
    database = make_url(settings.resolved_database_url).database
    if not database or database == ":memory:":
        return []
    path = Path(database).expanduser()
    if not path.parent.is_dir():
        return []
    return [entry for entry in path.parent.iterdir() if entry.name.startswith(path.name)]


def secure_data_dir(settings: Settings) -> None:
    """Make this process create private files, create the data folder 0700, and tighten
    what an older version left readable by others."""
    os.umask(PRIVATE_UMASK)
    data_dir = settings.data_dir
    data_dir.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    tightened = int(_tighten(data_dir))
    for folder, folders, files in os.walk(data_dir):  # symbolic links are not followed
        for name in [*folders, *files]:
            tightened += _tighten(Path(folder, name))
    for path in _sqlite_files(settings):
        if data_dir not in path.parents:
            tightened += _tighten(path)
    if tightened:
        log.warning("made %d files and folders under %s private to this account (0600/0700): "
                    "they were readable by other local users", tightened, data_dir)
