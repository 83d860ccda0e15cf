"""A device's status posts (stories): queued like a send, to status@broadcast."""
