"""Small pieces every process shares: texts in two languages, errors, validated types,
phone numbers and WhatsApp ids, the outbound HTTP client, caches, backoff, the event loop.

The kit imports nothing else of WAPIZ and no web framework (tests/test_layout.py), so any
process may use it without loading more than it needs.
"""
