"""Readiness services: instruments, campaigns and invitations, answering (and results, built on these)."""
