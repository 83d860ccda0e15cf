"""broker outputs: who publishes each, how it goes, and a cursor per device

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 14:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import wapiz.db.base


# revision identifiers, used by Alembic.
revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('event_outputs',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('publisher', sa.String(length=200), nullable=True),
    sa.Column('lease_expires_at', wapiz.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('connected', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('last_error_at', wapiz.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', wapiz.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_event_outputs'))
    )
    op.create_table('output_cursors',
    sa.Column('output', sa.String(length=32), nullable=False),
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('last_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_output_cursors_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['output'], ['event_outputs.name'], name=op.f('fk_output_cursors_output_event_outputs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('output', 'device_id', name=op.f('pk_output_cursors'))
    )
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_events_device_seq', ['device_id', 'seq'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_events_device_seq')
    op.drop_table('output_cursors')
    op.drop_table('event_outputs')
