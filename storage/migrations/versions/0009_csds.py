"""csds: the issuer's CSD (certificate, encrypted key, sealed password), one per account

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "csds",
        sa.Column("account_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("certificate_der", sa.LargeBinary(), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("rfc", sa.String(length=13), nullable=False),
        sa.Column("holder", sa.String(length=254), nullable=False),
        sa.Column("branch", sa.String(length=254), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_der", sa.LargeBinary(), nullable=False),
        sa.Column("password_sealed", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded_30_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_7_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id"),
    )
    with op.batch_alter_table("csds") as batch_op:
        batch_op.create_index("ix_csds_valid_until", ["valid_until"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("csds") as batch_op:
        batch_op.drop_index("ix_csds_valid_until")
    op.drop_table("csds")
