"""contact_points.changed_at: a sale made before an address replaced another did not collect it

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Addresses changed before this revision cannot be told apart any more: they keep counting as
    # collected by the customer's earlier sales, as they did.
    op.add_column("contact_points", sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE contact_points DROP COLUMN changed_at")  # in place on SQLite too (see 0007)
