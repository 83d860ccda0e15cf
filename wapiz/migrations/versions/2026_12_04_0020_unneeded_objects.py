"""unneeded objects: media-store objects no row names any more, queued for deletion in the
transaction that stops naming them

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import wapiz.db.base


# revision identifiers, used by Alembic.
revision: str = '0020'
down_revision: Union[str, Sequence[str], None] = '0019'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('unneeded_objects',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True,
              nullable=False),
    sa.Column('key', sa.String(length=1024), nullable=False),
    sa.Column('created_at', wapiz.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unneeded_objects'))
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('unneeded_objects')
