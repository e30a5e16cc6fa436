"""audience_backlog: appends mark customers for the projection instead of projecting them at once

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "audience_backlog",
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_audience_backlog_organisation_id_organisations")),
        sa.PrimaryKeyConstraint("organisation_id", "customer_id", name=op.f("pk_audience_backlog")),
    )


def downgrade() -> None:
    op.drop_table("audience_backlog")
