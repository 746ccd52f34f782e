"""Errors raised by the data layer (db/ knows nothing of app/, so it has its own)."""


class WrongKeyError(Exception):
    """The database file exists but the key does not open it (or it is not a database)."""


class SchemaError(Exception):
    """The database schema is not at the revision this code expects."""
