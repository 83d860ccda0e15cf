"""Background work, apart from HTTP: `runner/` runs in runner processes (leases, a worker and
a sender per device, the runner's side of messages and device requests), `retention/` in
runners too, and `dispatcher/` (webhook deliveries) beside the app in every API process.

Domains never import this package (tests/test_layout.py); it imports them.
"""
