"""privacy: which aviso de privacidad an account accepted, and when

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Accounts made before the notice was shown have no record of accepting it (NULL).
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.add_column(sa.Column("privacy_version", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("privacy_accepted_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.drop_column("privacy_accepted_at")
        batch_op.drop_column("privacy_version")
