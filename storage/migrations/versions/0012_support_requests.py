"""support_requests: problems written with /soporte, for a person to answer

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 14:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "support_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("text_sealed", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_support_requests_open", "support_requests", ["handled_at", "created_at"])
    op.create_index("ix_support_requests_account_id", "support_requests", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_support_requests_account_id", table_name="support_requests")
    op.drop_index("ix_support_requests_open", table_name="support_requests")
    op.drop_table("support_requests")
