"""The schema is built only by migrations, on a real SQLCipher file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from db.engine import sqlcipher_engine
from db.errors import WrongKeyError
from db.migrate import current_revision, heads, newest_revision, upgrade_to_head
from db.models import Base


def test_migrations_have_one_linear_head() -> None:
    assert len(heads()) == 1
    assert newest_revision() == heads()[0]  # start-up reads it without importing Alembic


def test_migrated_schema_matches_the_models_exactly(tmp_path: Path) -> None:
    engine = sqlcipher_engine(tmp_path / "k.db", os.urandom(32))
    upgrade_to_head(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    # The FTS5 shadow tables are made by the migration's raw SQL, outside the models.
    fts = [d for d in diff if d[0] == "remove_table" and d[1].name.startswith("incidents_fts")]
    assert len(fts) == 5
    assert [d for d in diff if d not in fts] == []


def test_database_file_is_encrypted_and_has_full_text_search(tmp_path: Path) -> None:
    path = tmp_path / "k.db"
    engine = sqlcipher_engine(path, os.urandom(32))
    upgrade_to_head(engine)
    assert current_revision(engine) == heads()[0]
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO incidents_fts(rowid, context_text, window_title, "
                          "matched_text) VALUES (7, 'nobody would miss me', '', '')"))
        hits = conn.execute(text("SELECT rowid FROM incidents_fts WHERE incidents_fts "
                                 "MATCH 'miss'")).scalars().all()
    engine.dispose()
    assert hits == [7]
    assert not path.read_bytes().startswith(b"SQLite format 3")


def test_wrong_key_is_refused_before_any_query(tmp_path: Path) -> None:
    path = tmp_path / "k.db"
    engine = sqlcipher_engine(path, os.urandom(32))
    upgrade_to_head(engine)
    engine.dispose()
    with pytest.raises(WrongKeyError):
        sqlcipher_engine(path, os.urandom(32))


def test_database_errors_never_quote_the_values_involved(tmp_path: Path) -> None:
    """Errors reach the log file; a pupil's words in a failed statement must not."""
    from sqlalchemy.exc import StatementError

    engine = sqlcipher_engine(tmp_path / "k.db", os.urandom(32))
    upgrade_to_head(engine)
    secret = "nobody would miss me"
    with pytest.raises(StatementError) as failed, engine.begin() as conn:
        conn.execute(text("INSERT INTO no_such_table VALUES (:v)"), {"v": secret})
    engine.dispose()
    assert secret not in str(failed.value)
