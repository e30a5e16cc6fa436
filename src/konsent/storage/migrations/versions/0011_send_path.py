"""The send path writes less: message log rows kept whole up to 8 kB, one outbox index fewer

- messages: a logged newsletter is about 2.5 kB (subject, text and HTML body, the decision). Past
  2 kB PostgreSQL tries to compress a row's longest values; these seldom shrink enough, and the
  attempt cost the COPY of the message log about a third of its time. toast_tuple_target = 8160
  keeps rows up to 8 kB as they are (PostgreSQL only).
- outbox: ix_outbox_organisation_id repeats the first column of the (organisation_id, dedupe_key)
  unique index, which answers the same lookups. A row is written three times (queued, claimed,
  finished) and each time into every index: one index fewer made sending about 8 % faster
  (bench/send.py).

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
    op.drop_index("ix_outbox_organisation_id", table_name="outbox")


def downgrade() -> None:
    op.create_index("ix_outbox_organisation_id", "outbox", ["organisation_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE messages RESET (toast_tuple_target)")
