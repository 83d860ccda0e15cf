"""WhatsApp engines behind one interface (`base.WhatsAppEngine`).

Gateway code asks this module for "the configured engine" by name and never imports an
engine package directly, so engines stay swappable and their imports stay lazy.
"""

from wapiz.config import Settings
from wapiz.db.database import Database
from wapiz.engines.base import WhatsAppEngine


def whatsapp_engine_for(settings: Settings, database: Database) -> WhatsAppEngine:
    """The WhatsApp engine the settings name (not to be confused with SQLAlchemy's engine,
    `database.engine`)."""
    if settings.engine == "sandbox":
        from wapiz.engines.sandbox.engine import SandboxEngine

        return SandboxEngine(settings, database)
    if settings.engine == "whatsmeow":
        from wapiz.engines.whatsmeow.engine import WhatsmeowEngine

        return WhatsmeowEngine(settings, database)
    raise ValueError(f"unknown engine: {settings.engine}")

