"""Issue 14's live console: queue and context columns of summaries, disabled users, canned replies.

Summaries written before this revision keep NULL in the new columns (no last message, reason or
masked address in the list) until their conversation's next event is synced: the values come
from tracker events the sync has already passed, and recomputing them would mean re-reading the
whole store on the upgrade. `disabled` defaults to false, so every existing account still signs in.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 18:05:57.617461
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("canned_replies", schema=None) as batch_op:
        batch_op.create_index("ix_canned_replies_language", ["language", "title"], unique=False)

    with op.batch_alter_table("summaries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handoff_at", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("handoff_reason", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("person_request", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("last_message", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("last_message_at", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("customer_email", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("customer_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("ticket", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("locale", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("first_agent_reply_at", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("first_agent", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_summaries_customer", ["customer_key"], unique=False)
        batch_op.create_index("ix_summaries_handoff_at", ["handoff_state", "handoff_at"], unique=False)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("disabled")

    with op.batch_alter_table("summaries", schema=None) as batch_op:
        batch_op.drop_index("ix_summaries_handoff_at")
        batch_op.drop_index("ix_summaries_customer")
        batch_op.drop_column("first_agent")
        batch_op.drop_column("first_agent_reply_at")
        batch_op.drop_column("locale")
        batch_op.drop_column("ticket")
        batch_op.drop_column("customer_key")
        batch_op.drop_column("customer_email")
        batch_op.drop_column("last_message_at")
        batch_op.drop_column("last_message")
        batch_op.drop_column("person_request")
        batch_op.drop_column("handoff_reason")
        batch_op.drop_column("handoff_at")

    with op.batch_alter_table("canned_replies", schema=None) as batch_op:
        batch_op.drop_index("ix_canned_replies_language")

    op.drop_table("canned_replies")
