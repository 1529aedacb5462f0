"""Readiness: Anonymous surveys that show where the agency is not yet ready for peer staff, and what training
would help.
"""
