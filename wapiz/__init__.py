"""WAPIZ: a self-hostable, multi-tenant WhatsApp API gateway."""

__version__ = "0.1.0"
