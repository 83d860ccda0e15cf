"""Accounts: users, plans, login tokens."""
