"""Broker outputs: every event published to the operator's NATS JetStream and RabbitMQ."""
