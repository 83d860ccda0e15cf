"""Retention, run by every runner: old webhook deliveries and old files' bytes."""
