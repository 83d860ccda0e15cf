"""Overview: a device's figures at a glance — messages sent and received per day, the
webhook's success per day, the queue's depth and the time of the last event — read from the
messages' and webhooks' rows, for the web app's charts and any other client."""
