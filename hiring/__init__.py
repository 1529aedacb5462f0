"""Hiring: Build job descriptions, post jobs, and run fair interviews for peer specialist positions."""
