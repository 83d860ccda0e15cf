"""Groups: the groups a device's number is in, through its live session (creating them,
their settings, participants, invite links and join requests)."""
