"""Supervision: Regular supervision for peer specialists, kept true to the peer role."""
