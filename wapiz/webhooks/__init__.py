"""Webhooks: events about a device's messages and status, delivered to its webhook URL,
signed (Standard Webhooks), retried, logged and replayable."""
