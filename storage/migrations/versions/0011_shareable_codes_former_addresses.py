"""reset_codes: whether a code was mailed at a stranger's request (and may be shared);
email_changes: the address a done change replaced (for the account's deletion)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 13:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Codes made before are shared with nobody: they last 15 minutes at most.
    with op.batch_alter_table("reset_codes") as batch_op:
        batch_op.add_column(
            sa.Column("shareable", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("email_changes") as batch_op:
        batch_op.add_column(sa.Column("old_email", sa.String(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("email_changes") as batch_op:
        batch_op.drop_column("old_email")
    with op.batch_alter_table("reset_codes") as batch_op:
        batch_op.drop_column("shareable")
