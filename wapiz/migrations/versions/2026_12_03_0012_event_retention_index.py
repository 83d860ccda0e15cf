"""event retention: events found by their age (WAPIZ_EVENT_RETENTION_DAYS)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 14:00:00.000000

"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index('ix_webhook_events_created', 'webhook_events', ['created_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_webhook_events_created', table_name='webhook_events')
