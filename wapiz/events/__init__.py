"""Event streams: the account's events as server-sent events and over a WebSocket."""
