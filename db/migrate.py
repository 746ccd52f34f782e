"""Run Alembic migrations programmatically (tests, first run and start-up all use this).

Start-up opens an install that is almost always at the newest revision already; importing
Alembic (and Mako with it) costs 100–200 ms there for nothing. So the newest revision is read
from the migration files themselves (a linear history: each names its `down_revision`), and
Alembic is imported only when there is something to do. A test holds this reading equal to
Alembic's own.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_REVISION = re.compile(r"^revision = ['\"](\w+)['\"]", re.MULTILINE)
_DOWN = re.compile(r"^down_revision = (?:['\"](\w+)['\"]|None)", re.MULTILINE)


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Migrate the database to the newest revision, in one transaction per revision."""
    if current_revision(engine) == newest_revision():
        return
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def heads() -> list[str]:
    """The head revisions as Alembic sees them."""
    from alembic.script import ScriptDirectory

    return list(ScriptDirectory.from_config(alembic_config()).get_heads())


@cache
def newest_revision() -> str:
    """The one revision no other migration names as its `down_revision`."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found, down = _REVISION.search(source), _DOWN.search(source)
        if found:
            revisions.add(found.group(1))
        if down and down.group(1):
            parents.add(down.group(1))
    newest = revisions - parents
    if len(newest) != 1:
        raise RuntimeError(f"the migrations do not form one line: heads {sorted(newest)}")
    return newest.pop()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        try:
            row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
        except DBAPIError:  # no such table yet: a new database
            return None
    return None if row is None else str(row[0])
