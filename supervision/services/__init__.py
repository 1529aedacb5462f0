"""Supervision's rules and state changes: typed, the actor passed in, flush and audit, never commit."""
