"""Initial schema: clerks, visits, support log, editable lists, shared settings, audit log, outbox.

Revision ID: 0001_initial
Revises: (none)
Create Date: 2026-11-25 11:23:05.686698
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Encrypted personal columns are plain Text here: they hold "v1:<key id>:<base64>" ciphertext (crypto.py).


revision = '0001_initial'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_events',
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=36), nullable=True),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('jimu_type', sa.String(length=128), nullable=False),
    sa.Column('reason', sa.String(length=256), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('result', sa.String(length=32), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=128), nullable=False),
    sa.Column('hash', sa.String(length=128), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('desk_id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events')),
    sa.UniqueConstraint('desk_id', 'seq', name='uq_audit_events_desk_seq')
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_desk_id'), ['desk_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_occurred_at'), ['occurred_at'], unique=False)

    op.create_table('clerks',
    sa.Column('login', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=128), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=False),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('desk_id', sa.String(length=36), nullable=False),
    sa.CheckConstraint("role IN ('clerk', 'supporter', 'supervisor', 'administrator')", name=op.f('ck_clerks_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clerks')),
    sa.UniqueConstraint('login', name=op.f('uq_clerks_login'))
    )
    with op.batch_alter_table('clerks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clerks_desk_id'), ['desk_id'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('op', sa.String(length=8), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("op IN ('upsert', 'delete')", name=op.f('ck_outbox_op')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_sent_at'), ['sent_at'], unique=False)

    op.create_table('shared_settings',
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('value', sa.JSON(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('desk_id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shared_settings')),
    sa.UniqueConstraint('key', name=op.f('uq_shared_settings_key'))
    )
    with op.batch_alter_table('shared_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shared_settings_desk_id'), ['desk_id'], unique=False)

    op.create_table('support_sessions',
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('venue', sa.String(length=128), nullable=False),
    sa.Column('venue_type', sa.String(length=16), nullable=False),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('device', sa.String(length=16), nullable=False),
    sa.Column('age_band', sa.String(length=8), nullable=False),
    sa.Column('attendees', sa.Integer(), nullable=False),
    sa.Column('helpers', sa.Integer(), nullable=False),
    sa.Column('helper_role', sa.String(length=64), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('follow_up_needed', sa.Boolean(), nullable=False),
    sa.Column('follow_up_contact', sa.Text(), nullable=True),
    sa.Column('follow_up_closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('repeat_visitor', sa.Boolean(), nullable=False),
    sa.Column('logged_by', sa.String(length=128), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('desk_id', sa.String(length=36), nullable=False),
    sa.CheckConstraint("age_band IN ('<65', '65-69', '70-74', '75-79', '80+')", name=op.f('ck_support_sessions_age_band')),
    sa.CheckConstraint("device IN ('iphone', 'android', 'feature_phone', 'tablet', 'pc', 'none')", name=op.f('ck_support_sessions_device')),
    sa.CheckConstraint("outcome IN ('resolved', 'partly', 'referred')", name=op.f('ck_support_sessions_outcome')),
    sa.CheckConstraint("venue_type IN ('counter', 'community_hall', 'shop', 'home_visit', 'other')", name=op.f('ck_support_sessions_venue_type')),
    sa.CheckConstraint('attendees >= 1', name=op.f('ck_support_sessions_attendees_positive')),
    sa.CheckConstraint('duration_minutes >= 0', name=op.f('ck_support_sessions_duration_not_negative')),
    sa.CheckConstraint('helpers >= 0', name=op.f('ck_support_sessions_helpers_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_sessions'))
    )
    with op.batch_alter_table('support_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_sessions_desk_id'), ['desk_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_sessions_started_at'), ['started_at'], unique=False)

    op.create_table('support_topics',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('label_ja', sa.String(length=128), nullable=False),
    sa.Column('label_en', sa.String(length=128), nullable=False),
    sa.Column('sort', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('desk_id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_topics')),
    sa.UniqueConstraint('code', name=op.f('uq_support_topics_code'))
    )
    with op.batch_alter_table('support_topics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_topics_desk_id'), ['desk_id'], unique=False)

    op.create_table('sync_state',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('pulled_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_sync_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_sync_state'))
    )
    op.create_table('venues',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('label_ja', sa.String(length=128), nullable=False),
    sa.Column('label_en', sa.String(length=128), nullable=False),
    sa.Column('sort', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('desk_id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_venues')),
    sa.UniqueConstraint('code', name=op.f('uq_venues_code'))
    )
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_venues_desk_id'), ['desk_id'], unique=False)

    op.create_table('visits',
    sa.Column('clerk_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('identify_method', sa.String(length=16), nullable=True),
    sa.Column('procedures', sa.JSON(), nullable=False),
    sa.Column('resident_name', sa.Text(), nullable=True),
    sa.Column('resident_kana', sa.Text(), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('birth_date', sa.Text(), nullable=True),
    sa.Column('my_number', sa.Text(), nullable=True),
    sa.Column('answers', sa.Text(), nullable=True),
    sa.Column('total_seconds', sa.Integer(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('desk_id', sa.String(length=36), nullable=False),
    sa.CheckConstraint("identify_method IN ('pin', 'code_b', 'manual')", name=op.f('ck_visits_identify_method')),
    sa.CheckConstraint("status IN ('open', 'suspended', 'closed', 'abandoned')", name=op.f('ck_visits_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visits_clerk_id'), ['clerk_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_desk_id'), ['desk_id'], unique=False)

    op.create_table('forms_printed',
    sa.Column('visit_id', sa.String(length=36), nullable=False),
    sa.Column('form_id', sa.String(length=64), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('printed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('printer', sa.String(length=256), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('desk_id', sa.String(length=36), nullable=False),
    sa.CheckConstraint("mode IN ('plain', 'overlay')", name=op.f('ck_forms_printed_mode')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_forms_printed_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forms_printed'))
    )
    with op.batch_alter_table('forms_printed', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forms_printed_desk_id'), ['desk_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_forms_printed_visit_id'), ['visit_id'], unique=False)

    op.create_table('visit_steps',
    sa.Column('visit_id', sa.String(length=36), nullable=False),
    sa.Column('step', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('seconds', sa.Integer(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('desk_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_steps_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_steps'))
    )
    with op.batch_alter_table('visit_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_steps_desk_id'), ['desk_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_steps_visit_id'), ['visit_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('visit_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_steps_visit_id'))
        batch_op.drop_index(batch_op.f('ix_visit_steps_desk_id'))

    op.drop_table('visit_steps')
    with op.batch_alter_table('forms_printed', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forms_printed_visit_id'))
        batch_op.drop_index(batch_op.f('ix_forms_printed_desk_id'))

    op.drop_table('forms_printed')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visits_desk_id'))
        batch_op.drop_index(batch_op.f('ix_visits_clerk_id'))

    op.drop_table('visits')
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_venues_desk_id'))

    op.drop_table('venues')
    op.drop_table('sync_state')
    with op.batch_alter_table('support_topics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_topics_desk_id'))

    op.drop_table('support_topics')
    with op.batch_alter_table('support_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_sessions_started_at'))
        batch_op.drop_index(batch_op.f('ix_support_sessions_desk_id'))

    op.drop_table('support_sessions')
    with op.batch_alter_table('shared_settings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shared_settings_desk_id'))

    op.drop_table('shared_settings')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_sent_at'))

    op.drop_table('outbox')
    with op.batch_alter_table('clerks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clerks_desk_id'))

    op.drop_table('clerks')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_desk_id'))

    op.drop_table('audit_events')
