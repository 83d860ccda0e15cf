"""Fixtures of the whatsmeow engine's tests."""

from tests.engines.whatsmeow.proxies import proxies

__all__ = ["proxies"]
