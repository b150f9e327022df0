"""local evaluations (justicelab.local in the service): their table, and jobs that run one

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'


def upgrade():
    op.create_table('local_evaluation',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('organisation_id', sa.String(length=32), nullable=False),
    sa.Column('requested_by', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('people_path', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('results_dir', sa.Text(), nullable=True),
    sa.Column('headline', sa.JSON(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('updated', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['requested_by'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('local_evaluation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_local_evaluation_organisation_id'), ['organisation_id'], unique=False)
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.alter_column('submission_id', existing_type=sa.String(length=32), nullable=True)
        batch_op.add_column(sa.Column('evaluation_id', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_job_evaluation_id'), ['evaluation_id'], unique=False)
        batch_op.create_foreign_key('fk_job_evaluation_id', 'local_evaluation', ['evaluation_id'], ['id'])
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('evaluation_id', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.drop_column('evaluation_id')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_constraint('fk_job_evaluation_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_job_evaluation_id'))
        batch_op.drop_column('evaluation_id')
        batch_op.alter_column('submission_id', existing_type=sa.String(length=32), nullable=False)
    with op.batch_alter_table('local_evaluation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_local_evaluation_organisation_id'))
    op.drop_table('local_evaluation')
