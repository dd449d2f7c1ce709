"""trust: sign-up owner, known chats, reset codes per chat, outbox expiry

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.add_column(sa.Column("signup_user_id", sa.BigInteger(), nullable=True))
    op.create_table(
        "known_chats",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("last_signed_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", "chat_id"),
    )
    # Codes made before this version were not bound to a chat: drop the unused ones.
    op.execute("DELETE FROM reset_codes WHERE used_at IS NULL")
    with op.batch_alter_table("reset_codes") as batch_op:
        batch_op.alter_column("account_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch_op.create_index("ix_reset_codes_chat_id", ["chat_id"], unique=False)
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("given_up_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_column("given_up_at")
        batch_op.drop_column("expires_at")
    op.execute("DELETE FROM reset_codes WHERE account_id IS NULL")
    with op.batch_alter_table("reset_codes") as batch_op:
        batch_op.drop_index("ix_reset_codes_chat_id")
        batch_op.drop_column("email")
        batch_op.drop_column("chat_id")
        batch_op.alter_column("account_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("known_chats")
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.drop_column("signup_user_id")
