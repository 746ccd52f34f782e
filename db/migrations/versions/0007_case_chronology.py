"""Cases: the DSL's summary, contacts and corrections in the chronology.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 22:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('summary', sa.Text(), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('case_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_with', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('corrects_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_case_entries_corrects_id', 'case_entries',
                                    ['corrects_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('case_entries', schema=None) as batch_op:
        batch_op.drop_constraint('fk_case_entries_corrects_id', type_='foreignkey')
        batch_op.drop_column('corrects_id')
        batch_op.drop_column('contact_with')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('summary')
