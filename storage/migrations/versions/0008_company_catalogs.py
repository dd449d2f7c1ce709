"""company catalogs: the colonia's SAT code and the lugar de expedición

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 22:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows saved before have neither: no code for their colonia, and the lugar de
    # expedición is asked at the next /empresa.
    with op.batch_alter_table("companies") as batch_op:
        batch_op.add_column(sa.Column("colonia_clave", sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column("lugar_expedicion", sa.String(length=5), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("companies") as batch_op:
        batch_op.drop_column("lugar_expedicion")
        batch_op.drop_column("colonia_clave")
