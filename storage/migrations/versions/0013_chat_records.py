"""chat_data holds the chat's step: conversation_states goes

Each chat's step lived in PTB's conversations (conversation_states, one row per flow and
chat); it now lives in the chat's sealed record. The sealed part cannot be opened here
(the key is not given to migrations), so the steps move beside it, by flow name, and the
chat's next update takes the one of its flow.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 18:00:00
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("chat_data", sa.Column("steps", sa.JSON(), nullable=True))
    connection = op.get_bind()
    states = sa.table(
        "conversation_states", sa.column("name"), sa.column("key"), sa.column("state", sa.JSON)
    )
    chats = sa.table("chat_data", sa.column("chat_id"), sa.column("steps", sa.JSON))
    steps: dict[int, dict[str, int]] = {}
    for name, key, state in connection.execute(
        sa.select(states.c.name, states.c.key, states.c.state)
    ):
        if isinstance(state, int):
            steps.setdefault(int(json.loads(key)[0]), {})[name] = state
    if steps:  # one statement with many parameter sets
        statement = (
            chats.update()
            .where(chats.c.chat_id == sa.bindparam("chat"))
            .values(steps=sa.bindparam("by_flow"))
        )
        connection.execute(statement, [{"chat": c, "by_flow": s} for c, s in steps.items()])
    op.drop_table("conversation_states")


def downgrade() -> None:
    op.create_table(
        "conversation_states",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("state", sa.JSON(), nullable=False),
    )
    op.drop_column("chat_data", "steps")
