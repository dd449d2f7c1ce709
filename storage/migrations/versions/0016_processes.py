"""bot_processes: the bot's running processes, each seen by its heartbeat; the inbox's
updates owned by the process that stored them (or adopted them), and their failures

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bot_processes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("inbox") as inbox:
        inbox.add_column(sa.Column("owner", sa.Integer(), nullable=True))
        inbox.add_column(
            sa.Column("failures", sa.SmallInteger(), nullable=False, server_default="0")
        )
    # Only the updates not yet done: a chat's done ones stay two days.
    op.create_index(
        "ix_inbox_chat",
        "inbox",
        ["chat_id", "update_id"],
        postgresql_where=sa.text("done_at IS NULL"),
        sqlite_where=sa.text("done_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_inbox_chat", table_name="inbox")
    with op.batch_alter_table("inbox") as inbox:
        inbox.drop_column("failures")
        inbox.drop_column("owner")
    op.drop_table("bot_processes")
