"""media: a file's bytes may live in an object store (WAPIZ_MEDIA_STORE=s3://…); the row
names the object

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 17:30:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0019'
down_revision: Union[str, Sequence[str], None] = '0018'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('media') as batch_op:
        batch_op.add_column(sa.Column('object_key', sa.String(length=1024), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('media') as batch_op:
        batch_op.drop_column('object_key')
