"""Shared core of PeerWorks: app factory, people and roles, policy, audit, accounts."""
