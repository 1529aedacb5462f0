"""Caseload: Your clients, referrals, recovery plans and contact notes, with safeguards for staff who are also
clients here.
"""
