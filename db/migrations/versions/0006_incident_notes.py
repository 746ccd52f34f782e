"""Notes on incidents (the `n` key in triage): append-only.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 22:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'incident_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.BigInteger(), nullable=False),  # UTC microseconds
        sa.ForeignKeyConstraint(['author_id'], ['staff_users.id']),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('incident_notes', schema=None) as batch_op:
        batch_op.create_index('ix_incident_notes_incident_id', ['incident_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('incident_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_notes_incident_id')
    op.drop_table('incident_notes')
