"""Devices: a user's WhatsApp numbers, their labels, webhooks and live status."""
