"""Labels (WhatsApp Business) of a device's account, and the labels on its chats."""
