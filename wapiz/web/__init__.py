"""What a browser loads, served by the API processes: the web app's pages, the docs site,
the API's documentation pages and the front-end assets they use.

The pages are clients of the same HTTP API the docs describe: they render a shell and their
scripts call `/api/...` like any other client. Nothing here reads the database or a domain's
service (tests/test_layout.py keeps that rule).
"""
