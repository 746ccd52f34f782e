"""Incidents from the LAN arrive sealed: a flag (and a small partial index) for the opener.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 19:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_sealed', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index('ix_incidents_sealed', ['id'], unique=False,
                              sqlite_where=sa.text('content_sealed = 1'),
                              postgresql_where=sa.text('content_sealed'))


def downgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_sealed')
        batch_op.drop_column('content_sealed')
