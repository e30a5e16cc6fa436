"""An outbox row is leased exactly while it is in flight, and the database holds it so

A worker writes its outcomes to the rows still leased to it, asking the lease alone: were the status
asked as well, the planner — trusting statistics taken while every row was queued — walked the whole
in-flight part of the due index on every flush instead of finding each row by its key. That is
right only while lease_owner is set together with in_flight and cleared on every way out of it, as
the worker's claim, finish and release do. This check makes it a rule for any other writer too.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26

"""
from typing import Sequence, Union

from alembic import op

revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

RULE = "(lease_owner IS NULL) = (status <> 'in_flight')"


def upgrade() -> None:
    # SQLite cannot add a constraint to a table: batch mode builds the table anew with it.
    with op.batch_alter_table("outbox") as outbox:
        outbox.create_check_constraint("leased_in_flight", RULE)


def downgrade() -> None:
    with op.batch_alter_table("outbox") as outbox:
        outbox.drop_constraint("leased_in_flight", type_="check")
