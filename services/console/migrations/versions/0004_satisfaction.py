"""The customer's 1-5 satisfaction answer (issue 12's question) on each conversation's summary, for
the transcript's customer panel and the dashboard's satisfaction by language and channel.

Summaries written before this revision keep NULL until their conversation's next event is synced.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("summaries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("satisfaction", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("summaries", schema=None) as batch_op:
        batch_op.drop_column("satisfaction")
