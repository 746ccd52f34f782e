"""Initial schema: the whole domain of DESIGN §4 and the incident full-text index.

Times are BIGINT microseconds since the epoch (see db/types.py).

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-27 15:39:11.210027
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('audit_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('ts', sa.BigInteger(), nullable=False),
    sa.Column('signature', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoints'))
    )
    with op.batch_alter_table('audit_checkpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_checkpoints_seq'), ['seq'], unique=False)

    op.create_table('audit_events',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('ts', sa.BigInteger(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_events'))
    )
    op.create_table('categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('uksic_group', sa.String(length=100), nullable=False),
    sa.Column('colour', sa.String(length=9), nullable=False),
    sa.Column('restricted_imagery', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_categories')),
    sa.UniqueConstraint('key', name=op.f('uq_categories_key'))
    )
    op.create_table('devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('hostname', sa.String(length=255), nullable=False),
    sa.Column('cert_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('signing_public_key', sa.LargeBinary(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('agent_version', sa.String(length=32), nullable=True),
    sa.Column('enrolled_at', sa.BigInteger(), nullable=False),
    sa.Column('last_seen_at', sa.BigInteger(), nullable=True),
    sa.Column('clock_skew_s', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices')),
    sa.UniqueConstraint('cert_fingerprint', name=op.f('uq_devices_cert_fingerprint')),
    sa.UniqueConstraint('uuid', name=op.f('uq_devices_uuid'))
    )
    op.create_table('settings',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_settings'))
    )
    op.create_table('sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites'))
    )
    op.create_table('staff_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('lockouts', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.BigInteger(), nullable=True),
    sa.Column('last_login_at', sa.BigInteger(), nullable=True),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_users')),
    sa.UniqueConstraint('username', name=op.f('uq_staff_users_username'))
    )
    op.create_table('subjects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('login', sa.String(length=128), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('year_group', sa.SmallInteger(), nullable=True),
    sa.Column('upn', sa.String(length=13), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subjects')),
    sa.UniqueConstraint('login', name=op.f('uq_subjects_login'))
    )
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('legal_hold', sa.Boolean(), nullable=False),
    sa.Column('opened_at', sa.BigInteger(), nullable=False),
    sa.Column('opened_by', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['opened_by'], ['staff_users.id'], name=op.f('fk_cases_opened_by_staff_users')),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_cases_subject_id_subjects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('reference', name=op.f('uq_cases_reference'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_subject_id'), ['subject_id'], unique=False)

    op.create_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.BigInteger(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('captured_at', sa.BigInteger(), nullable=False),
    sa.Column('received_at', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('severity', sa.SmallInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('app', sa.String(length=200), nullable=True),
    sa.Column('window_title', sa.String(length=500), nullable=True),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('context_text', sa.Text(), nullable=True),
    sa.Column('matched_text', sa.String(length=500), nullable=True),
    sa.Column('library_version', sa.String(length=32), nullable=False),
    sa.Column('signature_status', sa.String(length=16), nullable=False),
    sa.Column('has_screenshot', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['staff_users.id'], name=op.f('fk_incidents_assignee_id_staff_users')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_incidents_category_id_categories')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_incidents_device_id_devices')),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_incidents_subject_id_subjects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents')),
    sa.UniqueConstraint('uuid', name=op.f('uq_incidents_uuid'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index('ix_incidents_captured', ['captured_at', 'id'], unique=False)
        batch_op.create_index('ix_incidents_category_captured', ['category_id', 'captured_at', 'id'], unique=False)
        batch_op.create_index('ix_incidents_device_seq', ['device_id', 'sequence'], unique=False)
        batch_op.create_index('ix_incidents_severity_captured', ['severity', 'captured_at', 'id'], unique=False)
        batch_op.create_index('ix_incidents_status_severity', ['status', 'severity', 'captured_at', 'id'], unique=False)
        batch_op.create_index('ix_incidents_category_severity', ['category_id', 'severity', 'captured_at', 'id'], unique=False)
        batch_op.create_index('ix_incidents_status_captured', ['status', 'captured_at', 'id'], unique=False)
        batch_op.create_index('ix_incidents_subject_captured', ['subject_id', 'captured_at'], unique=False)

    op.create_table('key_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('kdf', sa.String(length=200), nullable=False),
    sa.Column('wrapped', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], name=op.f('fk_key_slots_user_id_staff_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_slots')),
    sa.UniqueConstraint('user_id', 'purpose', name=op.f('uq_key_slots_user_id_purpose'))
    )
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
    op.create_table('case_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('agency', sa.String(length=100), nullable=True),
    sa.Column('agency_reference', sa.String(length=100), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.BigInteger(), nullable=False),
    sa.Column('recorded_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['staff_users.id'], name=op.f('fk_case_entries_author_id_staff_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_entries_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_entries'))
    )
    with op.batch_alter_table('case_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_entries_case_id'), ['case_id'], unique=False)

    op.create_table('case_incidents',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_incidents_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_case_incidents_incident_id_incidents')),
    sa.PrimaryKeyConstraint('case_id', 'incident_id', name=op.f('pk_case_incidents'))
    )
    with op.batch_alter_table('case_incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_incidents_incident_id'), ['incident_id'], unique=False)

    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('sealed_sha256', sa.String(length=64), nullable=False),
    sa.Column('plaintext_sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('media_type', sa.String(length=32), nullable=False),
    sa.Column('verification', sa.String(length=16), nullable=False),
    sa.Column('restricted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_evidence_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence')),
    sa.UniqueConstraint('sealed_sha256', name=op.f('uq_evidence_sealed_sha256'))
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_incident_id'), ['incident_id'], unique=False)

    op.create_table('incident_manifests',
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('manifest', sa.LargeBinary(), nullable=False),
    sa.Column('signature', sa.LargeBinary(), nullable=False),
    sa.Column('sealed_content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_manifests_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('incident_id', name=op.f('pk_incident_manifests'))
    )
    op.create_table('matches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('phrase_id', sa.Integer(), nullable=True),
    sa.Column('matched_text', sa.String(length=500), nullable=False),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('end', sa.Integer(), nullable=False),
    sa.Column('boxes', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_matches_incident_id_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['phrase_id'], ['phrases.id'], name=op.f('fk_matches_phrase_id_phrases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_matches'))
    )
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_matches_incident_id'), ['incident_id'], unique=False)

    _create_text_index()


def _create_text_index() -> None:
    """SQLite: a contentless FTS5 table keyed by incident id (rows can still be deleted).
    PostgreSQL: a GIN index over the same words."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE incidents_fts USING fts5("
            "context_text, window_title, matched_text, content='', contentless_delete=1, "
            "tokenize='unicode61 remove_diacritics 2')"
        )
    else:
        op.execute(
            "CREATE INDEX ix_incidents_text ON incidents USING gin (to_tsvector('simple', "
            "coalesce(context_text, '') || ' ' || coalesce(window_title, '') || ' ' || "
            "coalesce(matched_text, '')))"
        )

def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE incidents_fts")

    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_matches_incident_id'))

    op.drop_table('matches')
    op.drop_table('incident_manifests')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_incident_id'))

    op.drop_table('evidence')
    with op.batch_alter_table('case_incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_incidents_incident_id'))

    op.drop_table('case_incidents')
    with op.batch_alter_table('case_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_entries_case_id'))

    op.drop_table('case_entries')
    op.drop_table('phrases')
    op.drop_table('key_slots')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_subject_captured')
        batch_op.drop_index('ix_incidents_status_captured')
        batch_op.drop_index('ix_incidents_severity_captured')
        batch_op.drop_index('ix_incidents_status_severity')
        batch_op.drop_index('ix_incidents_category_severity')
        batch_op.drop_index('ix_incidents_device_seq')
        batch_op.drop_index('ix_incidents_category_captured')
        batch_op.drop_index('ix_incidents_captured')

    op.drop_table('incidents')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_subject_id'))

    op.drop_table('cases')
    op.drop_table('subjects')
    op.drop_table('staff_users')
    op.drop_table('sites')
    op.drop_table('settings')
    op.drop_table('devices')
    op.drop_table('categories')
    op.drop_table('audit_events')
    with op.batch_alter_table('audit_checkpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_checkpoints_seq'))

    op.drop_table('audit_checkpoints')

