"""The customer's display name as the platform gives it (Messenger's profile, X's and Telegram's
names, from the connectors' message metadata), for the transcript's customer panel and the rows.

Summaries written before this revision keep NULL until their conversation's next message is synced.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("summaries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display_name", sa.String(length=160), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("summaries", schema=None) as batch_op:
        batch_op.drop_column("display_name")
