"""The whatsmeow engine (real WhatsApp, through neonize). Loaded only by runners."""
