"""companies: the idCIF and the date of issue of the Constancia de Situación Fiscal the
data was read from (NULL when it was typed)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 23:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("companies") as companies:
        companies.add_column(sa.Column("id_cif", sa.String(15), nullable=True))
        companies.add_column(sa.Column("csf_emitida", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("companies") as companies:
        companies.drop_column("csf_emitida")
        companies.drop_column("id_cif")
