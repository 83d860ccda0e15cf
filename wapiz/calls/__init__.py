"""Calls: declining one that rings (issue 15). The device's settings `rejectCalls` and
`rejectCallsMessage` decline them all (the runner, workers/runner/notices/people.py)."""
