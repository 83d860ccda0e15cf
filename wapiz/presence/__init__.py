"""Presence: the number online or not, "typing…" in a chat, and hearing of others' (issue 15)."""
