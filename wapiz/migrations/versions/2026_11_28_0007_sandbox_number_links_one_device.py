"""sandbox: a number links one device at a time

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 09:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # A nullable column and an index: SQLite alters the table in place.
    with op.batch_alter_table('sandbox_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=32), nullable=True))

    # Sessions linked before: each number goes to the device that linked it first; any later
    # one keeps its link until it is unlinked, and cannot be linked to that number again.
    bind = op.get_bind()
    linked = bind.execute(sa.text(
        "SELECT key, jid FROM sandbox_sessions WHERE jid IS NOT NULL AND revoked_at IS NULL "
        "ORDER BY paired_at, key"))
    first: dict[str, str] = {}
    for key, jid in linked:
        first.setdefault(jid.split('@', 1)[0].split(':', 1)[0], key)
    for phone, key in first.items():
        bind.execute(sa.text("UPDATE sandbox_sessions SET phone = :phone WHERE key = :key"),
                     {"phone": phone, "key": key})

    with op.batch_alter_table('sandbox_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sandbox_sessions_phone'), ['phone'], unique=True)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('sandbox_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sandbox_sessions_phone'))
        batch_op.drop_column('phone')
