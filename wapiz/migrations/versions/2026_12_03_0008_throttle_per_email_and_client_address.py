"""throttle: logins per email and per client address, sign-ups per client address

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 08:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import wapiz.db.base


# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('throttle',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=320), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_attempt_at', wapiz.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('locked_until', wapiz.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('kind', 'subject', name=op.f('pk_throttle'))
    )
    with op.batch_alter_table('throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_throttle_last_attempt_at'), ['last_attempt_at'], unique=False)
    # The per-email counts and locks in force carry over.
    op.execute("INSERT INTO throttle (kind, subject, attempts, last_attempt_at, locked_until) "
               "SELECT 'login_email', email, failures, last_failure_at, locked_until "
               "FROM login_throttle")
    op.drop_table('login_throttle')


def downgrade() -> None:
    """Downgrade schema."""
    op.create_table('login_throttle',
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('email', name=op.f('pk_login_throttle'))
    )
    # Only the per-email counts have a place in the older schema.
    op.execute("INSERT INTO login_throttle (email, failures, last_failure_at, locked_until) "
               "SELECT subject, attempts, last_attempt_at, locked_until FROM throttle "
               "WHERE kind = 'login_email'")
    with op.batch_alter_table('throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_throttle_last_attempt_at'))
    op.drop_table('throttle')
