"""WAPIZ: a self-hostable, multi-tenant WhatsApp API gateway."""

import sys

__version__ = "0.1.0"

# httpx loads its own command line on import when `rich` and `click` are installed (typer
# brings them): about 4 MB in every process, API and runner alike, that no process uses.
# Marked absent before httpx is imported, httpx falls back as it does without them.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
