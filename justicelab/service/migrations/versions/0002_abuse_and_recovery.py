"""disabled users, job kinds (validation runs in the worker), failed sign-in counts

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disabled', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), nullable=False, server_default='analyse'))
    op.create_table('login_attempt',
    sa.Column('key', sa.String(length=250), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('first', sa.DateTime(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key')
    )


def downgrade():
    op.drop_table('login_attempt')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_column('kind')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('disabled')
