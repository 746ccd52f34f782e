"""Trends: school-time day and hour, year group at capture and first review on each incident;
the roll-up tables kept from them.

Existing incidents are filled in here (school time from captured_at, year group from the
pupil now, first review from the audit log) and the roll-ups are counted from them. The
roll-ups are derived data: a later migration that changes them rebuilds them the same way.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 08:00:00
"""
from datetime import date
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa

from db.repositories import rollup_repo
from db.types import UtcDateTime, from_micros


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_LONDON = ZoneInfo("Europe/London")
_EPOCH = date(1970, 1, 1)
_REVIEW_ACTIONS = ("incident.view", "incident.status", "incident.severity")


def upgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('local_day', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('local_hour', sa.SmallInteger(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('local_month', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('year_group', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('first_reviewed_at', UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('review_delay_s', sa.Integer(), nullable=True))
    op.create_table(
        'trend_counts',
        sa.Column('kind', sa.String(length=1), nullable=False),
        sa.Column('day', sa.Integer(), nullable=False),
        sa.Column('a', sa.Integer(), nullable=False),
        sa.Column('b', sa.Integer(), nullable=False),
        sa.Column('c', sa.SmallInteger(), nullable=False),
        *_status_counts(),
        sa.PrimaryKeyConstraint('kind', 'day', 'a', 'b', 'c'),
        sqlite_with_rowid=False)
    op.create_table(
        'trend_counts_monthly',
        sa.Column('kind', sa.String(length=1), nullable=False),
        sa.Column('month', sa.Integer(), nullable=False),
        sa.Column('a', sa.Integer(), nullable=False),
        sa.Column('b', sa.Integer(), nullable=False),
        sa.Column('c', sa.SmallInteger(), nullable=False),
        *_status_counts(),
        sa.PrimaryKeyConstraint('kind', 'month', 'a', 'b', 'c'),
        sqlite_with_rowid=False)
    op.create_table(
        'trend_phrases',
        sa.Column('day', sa.Integer(), nullable=False),
        sa.Column('phrase_key', sa.String(length=40), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('year_group', sa.SmallInteger(), nullable=False),
        *_status_counts(),
        sa.PrimaryKeyConstraint('day', 'phrase_key', 'category_id', 'year_group'),
        sqlite_with_rowid=False)
    op.create_table(
        'trend_phrases_monthly',
        sa.Column('month', sa.Integer(), nullable=False),
        sa.Column('phrase_key', sa.String(length=40), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('year_group', sa.SmallInteger(), nullable=False),
        *_status_counts(),
        sa.PrimaryKeyConstraint('month', 'phrase_key', 'category_id', 'year_group'),
        sqlite_with_rowid=False)
    op.create_table(
        'trend_daily',
        sa.Column('day', sa.Integer(), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('severity', sa.SmallInteger(), nullable=False),
        sa.Column('year_group', sa.SmallInteger(), nullable=False),
        sa.Column('source', sa.String(length=8), nullable=False),
        *_status_counts(),
        sa.PrimaryKeyConstraint('day', 'category_id', 'severity', 'year_group', 'source'),
        sqlite_with_rowid=False)
    conn = op.get_bind()
    _fill_school_time(conn)
    conn.execute(sa.text(
        "UPDATE incidents SET year_group = (SELECT s.year_group FROM subjects s "
        "WHERE s.id = incidents.subject_id) WHERE subject_id IS NOT NULL"))
    _fill_first_review(conn)
    rollup_repo.rebuild(conn)


def _status_counts() -> list[sa.Column[int]]:
    return [sa.Column(name, sa.Integer(), nullable=False, server_default='0')
            for name in ('n_new', 'n_reviewing', 'n_false_positive', 'n_actioned', 'n_closed')]


def _fill_school_time(conn: sa.Connection) -> None:
    last = 0
    while True:
        rows = conn.execute(sa.text(
            "SELECT id, captured_at FROM incidents WHERE id > :last ORDER BY id LIMIT 20000"),
            {"last": last}).all()
        if not rows:
            return
        updates = []
        for incident_id, captured in rows:
            local = from_micros(captured).astimezone(_LONDON)
            updates.append({"i": incident_id, "d": (local.date() - _EPOCH).days,
                            "h": local.hour,
                            "m": (local.date().replace(day=1) - _EPOCH).days})
        conn.execute(sa.text("UPDATE incidents SET local_day = :d, local_hour = :h, "
                             "local_month = :m WHERE id = :i"), updates)
        last = rows[-1][0]


def _fill_first_review(conn: sa.Connection) -> None:
    rows = conn.execute(sa.text(
        "SELECT target, MIN(ts) FROM audit_events WHERE action IN :actions "
        "AND target LIKE 'incident:%' GROUP BY target").bindparams(
            sa.bindparam("actions", expanding=True)), {"actions": list(_REVIEW_ACTIONS)}).all()
    firsts = {int(t.split(":", 1)[1]): int(ts) for t, ts in rows
              if t.split(":", 1)[1].isdigit()}
    if not firsts:
        return
    received = dict(conn.execute(sa.text(
        "SELECT id, received_at FROM incidents WHERE id IN :ids").bindparams(
            sa.bindparam("ids", expanding=True)), {"ids": list(firsts)}).all())
    updates = []
    for incident_id, first in firsts.items():
        if incident_id in received:
            delay_s = (first - int(received[incident_id])) // 1_000_000
            updates.append({"i": incident_id, "f": first, "s": max(0, delay_s)})
    if updates:
        conn.execute(sa.text("UPDATE incidents SET first_reviewed_at = :f, review_delay_s = :s "
                             "WHERE id = :i"), updates)


def downgrade() -> None:
    op.drop_table('trend_daily')
    op.drop_table('trend_phrases_monthly')
    op.drop_table('trend_counts_monthly')
    op.drop_table('trend_phrases')
    op.drop_table('trend_counts')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_column('review_delay_s')
        batch_op.drop_column('first_reviewed_at')
        batch_op.drop_column('year_group')
        batch_op.drop_column('local_month')
        batch_op.drop_column('local_hour')
        batch_op.drop_column('local_day')
