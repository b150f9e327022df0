"""programme case management: cases, needs assessments, contacts, services, outcomes (justicelab.casework)

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'


def _recorded():
    return [sa.Column('recorded_by', sa.String(length=32), sa.ForeignKey('user_account.id'), nullable=False),
            sa.Column('recorded_at', sa.DateTime(), nullable=False)]


def _child(name: str, *columns):
    op.create_table(name,
                    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
                    sa.Column('case_id', sa.String(length=32), sa.ForeignKey('casework_case.id'), nullable=False),
                    *columns, *_recorded(), sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{name}_case_id'), ['case_id'], unique=False)


def upgrade():
    op.create_table('casework_case',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('provider_id', sa.String(length=32), sa.ForeignKey('organisation.id'), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('forename', sa.String(length=100), nullable=True),
    sa.Column('surname', sa.String(length=100), nullable=True),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('sex', sa.String(length=1), nullable=False),
    sa.Column('pnc_id', sa.String(length=20), nullable=True),
    sa.Column('risk_band', sa.String(length=10), nullable=False),
    sa.Column('reception_date', sa.Date(), nullable=False),
    sa.Column('release_date', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('completion', sa.String(length=20), nullable=False),
    sa.Column('identifiers_erased', sa.Boolean(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('casework_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_casework_case_provider_id'), ['provider_id'], unique=False)
    _child('casework_assessment', sa.Column('kind', sa.String(length=10), nullable=False),
           sa.Column('assessed_on', sa.Date(), nullable=False), sa.Column('needs', sa.JSON(), nullable=False))
    _child('casework_contact', sa.Column('contact_on', sa.Date(), nullable=False),
           sa.Column('mode', sa.String(length=10), nullable=False), sa.Column('minutes', sa.Integer(), nullable=False))
    _child('casework_service', sa.Column('kind', sa.String(length=10), nullable=False),
           sa.Column('need', sa.String(length=20), nullable=False), sa.Column('agency', sa.String(length=100), nullable=False),
           sa.Column('service_on', sa.Date(), nullable=False))
    _child('casework_outcome', sa.Column('outcome', sa.String(length=40), nullable=False),
           sa.Column('outcome_on', sa.Date(), nullable=False))


def downgrade():
    for name in ('casework_outcome', 'casework_service', 'casework_contact', 'casework_assessment', 'casework_case'):
        op.drop_table(name)
