"""webhooks: an endpoint has an id of its own and belongs to a device or to an account;
deliveries name their endpoint. Sandbox: the labels on each account's chats

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 14:00:00.000000

"""
import uuid
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import wapiz.db.base


# revision identifiers, used by Alembic.
revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ENDPOINTS = sa.table('webhook_endpoints', sa.column('id', sa.Uuid()),
                     sa.column('device_id', sa.Uuid()))


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('sandbox_chat_labels',
    sa.Column('session_key', sa.String(length=64), nullable=False),
    sa.Column('chat', sa.String(length=128), nullable=False),
    sa.Column('labels', sa.JSON(), nullable=False),
    sa.Column('updated_at', wapiz.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('session_key', 'chat', name=op.f('pk_sandbox_chat_labels'))
    )
    # Every device endpoint gets its id (row by row: one way for both databases).
    op.add_column('webhook_endpoints', sa.Column('id', sa.Uuid(), nullable=True))
    connection = op.get_bind()
    for device_id in connection.execute(sa.select(ENDPOINTS.c.device_id)).scalars().all():
        connection.execute(sa.update(ENDPOINTS).where(ENDPOINTS.c.device_id == device_id)
                           .values(id=uuid.uuid4()))
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_constraint('pk_webhook_endpoints', type_='primary')
        batch_op.alter_column('id', existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column('device_id', existing_type=sa.Uuid(), nullable=True)
        batch_op.create_primary_key('pk_webhook_endpoints', ['id'])
        batch_op.add_column(sa.Column('user_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('url', sa.String(length=2048), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_webhook_endpoints_device_id'),
                                          ['device_id'])
        batch_op.create_unique_constraint(batch_op.f('uq_webhook_endpoints_user_id'),
                                          ['user_id'])
        batch_op.create_foreign_key(batch_op.f('fk_webhook_endpoints_user_id_users'), 'users',
                                    ['user_id'], ['id'], ondelete='CASCADE')
        batch_op.create_check_constraint('one_owner',
                                         '(device_id IS NULL) <> (user_id IS NULL)')

    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.alter_column('device_id', existing_type=sa.Uuid(), nullable=True)
        batch_op.add_column(sa.Column('user_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_webhook_events_user_id_users'), 'users',
                                    ['user_id'], ['id'], ondelete='CASCADE')

    # A delivery goes to its device's endpoint (the only kind there was).
    op.add_column('webhook_deliveries', sa.Column('endpoint_id', sa.Uuid(), nullable=True))
    op.execute("UPDATE webhook_deliveries SET endpoint_id = (SELECT webhook_endpoints.id "
               "FROM webhook_endpoints "
               "WHERE webhook_endpoints.device_id = webhook_deliveries.device_id)")
    # None can lack one (a delivery was only written for an endpoint's row); if one did,
    # it had nowhere to go.
    op.execute("DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM "
               "webhook_deliveries WHERE endpoint_id IS NULL)")
    op.execute("DELETE FROM webhook_deliveries WHERE endpoint_id IS NULL")
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.alter_column('endpoint_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column('device_id', existing_type=sa.Uuid(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f('fk_webhook_deliveries_endpoint_id_webhook_endpoints'),
            'webhook_endpoints', ['endpoint_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index('ix_webhook_deliveries_endpoint',
                              ['endpoint_id', 'status', 'event_seq'], unique=False)


def downgrade() -> None:
    """Downgrade schema: accounts' endpoints go, with their deliveries and test events."""
    op.drop_table('sandbox_chat_labels')
    op.execute("DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT webhook_deliveries.id "
               "FROM webhook_deliveries JOIN webhook_endpoints "
               "ON webhook_endpoints.id = webhook_deliveries.endpoint_id "
               "WHERE webhook_endpoints.user_id IS NOT NULL)")
    op.execute("DELETE FROM webhook_deliveries WHERE endpoint_id IN (SELECT id FROM "
               "webhook_endpoints WHERE user_id IS NOT NULL)")
    op.execute("DELETE FROM webhook_events WHERE device_id IS NULL")
    op.execute("DELETE FROM webhook_endpoints WHERE user_id IS NOT NULL")
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_deliveries_endpoint')
        batch_op.drop_constraint(
            batch_op.f('fk_webhook_deliveries_endpoint_id_webhook_endpoints'),
            type_='foreignkey')
        batch_op.alter_column('device_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column('endpoint_id')

    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_webhook_events_user_id_users'),
                                 type_='foreignkey')
        batch_op.drop_column('user_id')
        batch_op.alter_column('device_id', existing_type=sa.Uuid(), nullable=False)

    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_webhook_endpoints_one_owner'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_webhook_endpoints_user_id_users'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_webhook_endpoints_user_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_webhook_endpoints_device_id'), type_='unique')
        batch_op.drop_column('user_id')
        batch_op.drop_column('url')
        batch_op.drop_constraint('pk_webhook_endpoints', type_='primary')
        batch_op.alter_column('device_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.create_primary_key('pk_webhook_endpoints', ['device_id'])
        batch_op.drop_column('id')
