"""Accounts: sign-in protection (lockouts), password reset, two-factor sign-in for staff."""
