"""devices: messages, message_batches and media refer to a device by its primary key

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:30:00.000000

"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Their `device_id` held the device's public id (devices.device_id); from here on it holds
# devices.id, as in every other table.
TABLES = ('messages', 'message_batches', 'media')


def _refer_to(column: str, was: str) -> None:
    """Each table's `device_id` changes from the device's `was` column to its `column`,
    row by row, and its foreign key with it (the constraint keeps its name)."""
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table in TABLES:
        name = f'fk_{table}_device_id_devices'
        if not sqlite:  # PostgreSQL checks each row at once: the old key goes first
            op.drop_constraint(name, table, type_='foreignkey')
        # (On SQLite foreign keys are off while migrating: wapiz/migrations/env.py.)
        op.execute(f"UPDATE {table} SET device_id = (SELECT devices.{column} FROM devices "
                   f"WHERE devices.{was} = {table}.device_id)")
        # SQLite rebuilds the table once, with the new key in place of the old.
        with op.batch_alter_table(table, schema=None) as batch_op:
            if sqlite:
                batch_op.drop_constraint(name, type_='foreignkey')
            batch_op.create_foreign_key(name, 'devices', ['device_id'], [column],
                                        ondelete='CASCADE')


def upgrade() -> None:
    """Upgrade schema."""
    _refer_to('id', was='device_id')


def downgrade() -> None:
    """Downgrade schema."""
    _refer_to('device_id', was='id')
