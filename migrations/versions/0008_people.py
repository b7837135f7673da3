"""People: invitations can be cancelled and resent

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

- invitations.cancelled_at: set when a lead or an administrator cancels an invitation (or
  a newer one to the same address replaces it); its link stops working.
- invitations.sent_at: when the email was last sent; resending moves it (and expires_at)
  on. Existing invitations were sent when they were made.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE invitations SET sent_at = created_at")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.alter_column("sent_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade():
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_column("cancelled_at")
        batch_op.drop_column("sent_at")
