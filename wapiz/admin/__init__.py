"""The operator's API: users, devices across accounts, invites, health and settings.
Admins only (`users.is_admin`)."""
