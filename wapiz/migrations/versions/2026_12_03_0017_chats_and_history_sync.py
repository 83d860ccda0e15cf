"""chats: the chat list kept with the messages; history sync settings; the sandbox keeps
what it carried (its history)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 14:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import wapiz.db.base


# revision identifiers, used by Alembic.
revision: str = '0017'
down_revision: Union[str, Sequence[str], None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('chats',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('chat', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('last_message_id', sa.Uuid(), nullable=True),
    sa.Column('last_message_at', wapiz.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('unread_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('archived', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('pinned', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('muted_until', wapiz.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cleared_at', wapiz.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', wapiz.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_chats_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['last_message_id'], ['messages.id'], name=op.f('fk_chats_last_message_id_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_chats_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chats')),
    sa.UniqueConstraint('device_id', 'chat', name=op.f('uq_chats_device_id'))
    )
    op.create_index('ix_chats_listing', 'chats', ['device_id', 'last_message_at', 'id'], unique=False)
    op.create_index(op.f('ix_chats_user_id'), 'chats', ['user_id'], unique=False)
    with op.batch_alter_table('devices') as batch_op:
        batch_op.add_column(sa.Column('history_sync', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('history_sync_days', sa.Integer(), server_default='30', nullable=False))
    with op.batch_alter_table('sandbox_messages') as batch_op:
        batch_op.add_column(sa.Column('payload', sa.JSON(), nullable=True))
    op.create_index(op.f('ix_sandbox_messages_created_at'), 'sandbox_messages', ['created_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_sandbox_messages_created_at'), table_name='sandbox_messages')
    with op.batch_alter_table('sandbox_messages') as batch_op:
        batch_op.drop_column('payload')
    with op.batch_alter_table('devices') as batch_op:
        batch_op.drop_column('history_sync_days')
        batch_op.drop_column('history_sync')
    op.drop_index(op.f('ix_chats_user_id'), table_name='chats')
    op.drop_index('ix_chats_listing', table_name='chats')
    op.drop_table('chats')
