"""Messages: the durable send queue, the message API, inbound messages and receipts."""
