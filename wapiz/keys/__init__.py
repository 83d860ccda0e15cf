"""API keys: named, long-lived keys for server-to-server calls, optionally limited to one
device."""
