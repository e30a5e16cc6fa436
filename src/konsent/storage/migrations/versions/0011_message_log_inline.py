"""messages: rows stay whole up to 8 kB (PostgreSQL's toast_tuple_target), not compressed past 2 kB

A logged newsletter is about 2.5 kB: subject, text and HTML body, the decision. Past 2 kB
PostgreSQL tries to compress a row's longest values first; these seldom shrink enough, and the
attempt cost the COPY of the message log about a third of its time (bench/send.py).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26

"""
from typing import Sequence, Union

from alembic import op

revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE messages SET (toast_tuple_target = 8160)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE messages RESET (toast_tuple_target)")
