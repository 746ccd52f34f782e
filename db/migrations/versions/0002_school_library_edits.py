"""The school's layer over the shipped phrase library; matches name their phrase by key.

The unused `phrases` table (a copy of the library per row) gives way to `library_edits`: only
what the school added or changed, over the shipped files (DESIGN §5, docs/decisions.md).
`matches.phrase_id` pointed at that table; a match now records the entry's key, which is what
the device reports and what survives library upgrades.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 18:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.drop_constraint('fk_matches_phrase_id_phrases', type_='foreignkey')
        batch_op.drop_column('phrase_id')
        batch_op.add_column(sa.Column('phrase_key', sa.String(length=40), nullable=True))
    op.drop_table('phrases')
    op.create_table('library_edits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('origin', sa.String(length=8), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('pattern', sa.String(length=200), nullable=True),
    sa.Column('kind', sa.String(length=8), nullable=True),
    sa.Column('severity', sa.SmallInteger(), nullable=True),
    sa.Column('language', sa.String(length=3), nullable=True),
    sa.Column('whole_word', sa.Boolean(), nullable=True),
    sa.Column('exceptions', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=True),
    sa.Column('updated_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_library_edits')),
    sa.UniqueConstraint('key', name=op.f('uq_library_edits_key'))
    )


def downgrade() -> None:
    op.drop_table('library_edits')
    op.create_table('phrases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('pattern', sa.String(length=500), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('severity', sa.SmallInteger(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('whole_word', sa.Boolean(), nullable=False),
    sa.Column('exceptions', sa.Text(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('library_version', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_phrases_category_id_categories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phrases'))
    )
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.drop_column('phrase_key')
        batch_op.add_column(sa.Column('phrase_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_matches_phrase_id_phrases', 'phrases', ['phrase_id'], ['id'])
