"""sandbox: groups on the simulated network (members and roles, invite codes, join requests)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 13:55:10.561718

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import wapiz.db.base


# revision identifiers, used by Alembic.
revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('sandbox_groups',
    sa.Column('jid', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=100), nullable=False),
    sa.Column('description', sa.String(length=2048), nullable=True),
    sa.Column('owner', sa.String(length=32), nullable=False),
    sa.Column('announce', sa.Boolean(), nullable=False),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.Column('join_approval', sa.Boolean(), nullable=False),
    sa.Column('invite_code', sa.String(length=32), nullable=False),
    sa.Column('picture_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', wapiz.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('jid', name=op.f('pk_sandbox_groups')),
    sa.UniqueConstraint('invite_code', name=op.f('uq_sandbox_groups_invite_code'))
    )
    op.create_table('sandbox_group_members',
    sa.Column('group_jid', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('joined_at', wapiz.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_jid'], ['sandbox_groups.jid'], name=op.f('fk_sandbox_group_members_group_jid_sandbox_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_jid', 'phone', name=op.f('pk_sandbox_group_members'))
    )
    with op.batch_alter_table('sandbox_group_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sandbox_group_members_phone'), ['phone'], unique=False)

    op.create_table('sandbox_group_requests',
    sa.Column('group_jid', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('requested_at', wapiz.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_jid'], ['sandbox_groups.jid'], name=op.f('fk_sandbox_group_requests_group_jid_sandbox_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_jid', 'phone', name=op.f('pk_sandbox_group_requests'))
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('sandbox_group_requests')
    with op.batch_alter_table('sandbox_group_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sandbox_group_members_phone'))

    op.drop_table('sandbox_group_members')
    op.drop_table('sandbox_groups')
