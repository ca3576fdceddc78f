"""A ticket records that its customer wants the answer by email, and at which address (issue 14:
the "answer by email" choice of a customer waiting for a person reaches the ticket).

Tickets opened before this revision have neither (NULL): the answer goes where the ticket says.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("support_tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answer_by", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("answer_email", sa.String(length=320), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("support_tickets", schema=None) as batch_op:
        batch_op.drop_column("answer_email")
        batch_op.drop_column("answer_by")
