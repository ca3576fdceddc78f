"""Limits that cannot be turned against the customer (issue 13): the per-address request count,
which any stranger could use up, becomes a resend window per address and kind of email
(`email_sends`), and conversations get their own request count (`conversation_requests`).

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_sends",
        sa.Column("address_sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("address_sha256", "kind"),
    )
    with op.batch_alter_table("email_sends", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_email_sends_sent_at"), ["sent_at"], unique=False)
    op.create_table(
        "conversation_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("requester_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("conversation_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversation_requests_requester_sha256"), ["requester_sha256"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_conversation_requests_created_at"), ["created_at"], unique=False)
    with op.batch_alter_table("address_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_address_requests_created_at"))
        batch_op.drop_index(batch_op.f("ix_address_requests_address_sha256"))
    op.drop_table("address_requests")


def downgrade() -> None:
    op.create_table(
        "address_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("address_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("address_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_address_requests_address_sha256"), ["address_sha256"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_address_requests_created_at"), ["created_at"], unique=False)
    op.drop_table("conversation_requests")
    op.drop_table("email_sends")
