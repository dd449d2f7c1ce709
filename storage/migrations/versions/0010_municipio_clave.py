"""companies: the municipio's SAT code

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 12:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows saved before have none: the company service finds it from the municipio's name
    # and the postal code when it reads them (the catalogs are the services', not the
    # storage's), and /empresa asks the municipio again where it cannot.
    with op.batch_alter_table("companies") as batch_op:
        batch_op.add_column(sa.Column("municipio_clave", sa.String(length=3), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("companies") as batch_op:
        batch_op.drop_column("municipio_clave")
