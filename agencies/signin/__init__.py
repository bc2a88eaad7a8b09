"""Signing in and staying signed in: second factor, lockout, session limits, expiring tokens,
and access that ends at once when someone signs out, is deactivated or leaves their agency.

docs/sign-in.md describes the rules; each module here holds one of them.
"""
