"""Repositories: every SQL statement Kestrel runs lives in this package.

Repositories take an open `Session` from the caller and never commit: the service layer's
unit of work owns the transaction.
"""
