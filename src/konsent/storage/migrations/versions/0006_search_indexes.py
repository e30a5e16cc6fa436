"""search indexes: customers by name (trigrams), contact points by value, the customer listing

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26

"""
from typing import Sequence, Union

from alembic import op

revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # pg_trgm is a trusted extension: the database's owner may create it without being superuser.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index("ix_customers_listing", "customers", ["organisation_id", "created_at", "id"])
    op.create_index("ix_customers_first_name_trgm", "customers", ["first_name"], postgresql_using="gin",
                    postgresql_ops={"first_name": "gin_trgm_ops"})
    op.create_index("ix_customers_last_name_trgm", "customers", ["last_name"], postgresql_using="gin",
                    postgresql_ops={"last_name": "gin_trgm_ops"})
    op.create_index("ix_contact_points_value_trgm", "contact_points", ["value"], postgresql_using="gin",
                    postgresql_ops={"value": "gin_trgm_ops"})


def downgrade() -> None:
    op.drop_index("ix_contact_points_value_trgm", table_name="contact_points")
    op.drop_index("ix_customers_last_name_trgm", table_name="customers")
    op.drop_index("ix_customers_first_name_trgm", table_name="customers")
    op.drop_index("ix_customers_listing", table_name="customers")
