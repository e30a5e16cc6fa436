"""customers.last_visit_at: the latest purchase or booking, for campaign segments by last visit

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("last_visit_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE customers SET last_visit_at = (SELECT max(p.occurred_at) FROM purchases p "
        "WHERE p.organisation_id = customers.organisation_id AND p.customer_id = customers.id)"
    )
    op.create_index("ix_customers_last_visit", "customers", ["organisation_id", "last_visit_at"])


def downgrade() -> None:
    op.drop_index("ix_customers_last_visit", table_name="customers")
    # Not through a batch: SQLite (3.35 and later) drops a column in place, where a batch would copy
    # the table and trip over the foreign keys that point at it.
    op.execute("ALTER TABLE customers DROP COLUMN last_visit_at")
