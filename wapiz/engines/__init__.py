"""WhatsApp engines behind one interface (`base.Engine`).

Gateway code asks this module for "the configured engine" by name and never imports an
engine package directly, so engines stay swappable and their imports stay lazy.
"""

from typing import TYPE_CHECKING

from wapiz.config import Settings
from wapiz.db.database import Database
from wapiz.engines.base import Engine

if TYPE_CHECKING:  # runners never load the web framework
    from fastapi import APIRouter


def create_engine(settings: Settings, database: Database) -> Engine:
    if settings.engine == "sandbox":
        from wapiz.engines.sandbox.engine import SandboxEngine

        return SandboxEngine(settings, database)
    if settings.engine == "whatsmeow":
        from wapiz.engines.whatsmeow.engine import WhatsmeowEngine

        return WhatsmeowEngine(settings, database)
    raise ValueError(f"unknown engine: {settings.engine}")


def engine_router(settings: Settings) -> "APIRouter | None":
    """Routes only the configured engine has (the sandbox's simulated phone)."""
    if settings.engine == "sandbox":
        from wapiz.engines.sandbox.router import router

        return router
    return None
