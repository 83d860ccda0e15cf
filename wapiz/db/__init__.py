"""Database plumbing: the declarative base, engine/session factory and migrations."""
