"""LAN sync (issue 4): device telemetry from hello, enrolment tokens, codes and requests.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 18:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outbox_depth', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('screenshots_dropped', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('last_address', sa.String(length=45), nullable=True))
        batch_op.add_column(sa.Column('cert_expires_at', sa.BigInteger(), nullable=True))
    op.create_table('enrol_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_id', sa.String(length=32), nullable=False),
    sa.Column('secret', sa.LargeBinary(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('expires_at', sa.BigInteger(), nullable=False),
    sa.Column('max_uses', sa.Integer(), nullable=False),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.Column('auto_approve', sa.Boolean(), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrol_tokens')),
    sa.UniqueConstraint('token_id', name=op.f('uq_enrol_tokens_token_id'))
    )
    op.create_table('enrol_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_id', sa.String(length=16), nullable=False),
    sa.Column('secret', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('expires_at', sa.BigInteger(), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('used', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrol_codes')),
    sa.UniqueConstraint('code_id', name=op.f('uq_enrol_codes_code_id'))
    )
    op.create_table('enrol_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.String(length=36), nullable=False),
    sa.Column('device_uuid', sa.String(length=36), nullable=False),
    sa.Column('hostname', sa.String(length=255), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('short_id', sa.String(length=16), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=True),
    sa.Column('code_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('decided_at', sa.BigInteger(), nullable=True),
    sa.Column('decided_by', sa.String(length=100), nullable=True),
    sa.Column('certificate', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['code_id'], ['enrol_codes.id'], name=op.f('fk_enrol_requests_code_id_enrol_codes')),
    sa.ForeignKeyConstraint(['token_id'], ['enrol_tokens.id'], name=op.f('fk_enrol_requests_token_id_enrol_tokens')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrol_requests')),
    sa.UniqueConstraint('nonce', name=op.f('uq_enrol_requests_nonce')),
    sa.UniqueConstraint('request_id', name=op.f('uq_enrol_requests_request_id'))
    )
    with op.batch_alter_table('enrol_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrol_requests_device_uuid'), ['device_uuid'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrol_requests_state'), ['state'], unique=False)


def downgrade() -> None:
    op.drop_table('enrol_requests')
    op.drop_table('enrol_codes')
    op.drop_table('enrol_tokens')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_column('cert_expires_at')
        batch_op.drop_column('last_address')
        batch_op.drop_column('screenshots_dropped')
        batch_op.drop_column('outbox_depth')
