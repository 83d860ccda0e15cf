"""people: a device's call settings; the sandbox network's profiles, blocks, presence
watches and calls

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 14:20:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import wapiz.db.base


# revision identifiers, used by Alembic.
revision: str = '0016'
down_revision: Union[str, Sequence[str], None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reject_calls', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('reject_calls_message', sa.String(length=1000),
                                      nullable=True))
    op.create_table('sandbox_people',
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('lid', sa.String(length=64), nullable=False),
    sa.Column('push_name', sa.String(length=100), nullable=True),
    sa.Column('about', sa.String(length=500), nullable=True),
    sa.Column('picture', sa.LargeBinary(), nullable=True),
    sa.Column('picture_id', sa.String(length=64), nullable=True),
    sa.Column('presence', sa.String(length=16), nullable=True),
    sa.Column('last_seen', wapiz.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('phone', name=op.f('pk_sandbox_people')),
    sa.UniqueConstraint('lid', name=op.f('uq_sandbox_people_lid')),
    sa.UniqueConstraint('picture_id', name=op.f('uq_sandbox_people_picture_id'))
    )
    op.create_table('sandbox_blocks',
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('blocked', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('phone', 'blocked', name=op.f('pk_sandbox_blocks'))
    )
    op.create_table('sandbox_presence_watches',
    sa.Column('session_key', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('session_key', 'phone', name=op.f('pk_sandbox_presence_watches'))
    )
    op.create_table('sandbox_calls',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('session_key', sa.String(length=64), nullable=False),
    sa.Column('caller', sa.String(length=128), nullable=False),
    sa.Column('is_video', sa.Boolean(), nullable=False),
    sa.Column('rejected_at', wapiz.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', wapiz.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_calls'))
    )
    with op.batch_alter_table('sandbox_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sandbox_calls_session_key'), ['session_key'],
                              unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('sandbox_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sandbox_calls_session_key'))
    op.drop_table('sandbox_calls')
    op.drop_table('sandbox_presence_watches')
    op.drop_table('sandbox_blocks')
    op.drop_table('sandbox_people')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_column('reject_calls_message')
        batch_op.drop_column('reject_calls')
