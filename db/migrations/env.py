"""Alembic environment: always run against a connection handed in by db.migrate."""

from __future__ import annotations

from alembic import context

from db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only the programmatic path is supported
    raise RuntimeError("Run migrations through db.migrate.upgrade_to_head(engine).")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTERs go through batch mode
)
with context.begin_transaction():
    context.run_migrations()
