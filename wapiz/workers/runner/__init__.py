"""Runners: processes that lease devices and hold their live WhatsApp sessions."""
