"""Single sign-on: OpenID Connect providers, and agencies that require them

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30

- sso_providers: a provider's discovery address, client id and secret, and the one agency
  it serves (or none: then the email domains it serves, each person joining the agency
  listing their domain).
- agencies.sso_required: the agency's people sign in only through single sign-on.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sso_providers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("metadata_url", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("client_secret", sa.String(length=500), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("email_domains", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("slug = lower(slug)", name=op.f("ck_sso_providers_slug_lower_case")),
        sa.CheckConstraint("length(slug) > 0", name=op.f("ck_sso_providers_slug_not_empty")),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_sso_providers_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_providers")),
        sa.UniqueConstraint("slug", name=op.f("uq_sso_providers_slug")),
    )
    op.create_index(
        op.f("ix_sso_providers_agency_id"), "sso_providers", ["agency_id"], unique=False
    )
    with op.batch_alter_table("agencies") as batch_op:
        batch_op.add_column(
            sa.Column("sso_required", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("agencies") as batch_op:
        batch_op.drop_column("sso_required")
    op.drop_index(op.f("ix_sso_providers_agency_id"), table_name="sso_providers")
    op.drop_table("sso_providers")
