"""Alembic environment: `store.migrate` hands over its connection (held under the migration lock); run
from the alembic command line, the URL comes from the configuration."""
from alembic import context
from sqlalchemy import create_engine

from justicelab.service.store import Base
import justicelab.casework.records  # noqa: F401  (its tables are in Base.metadata too)

config = context.config


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if config.attributes.get("connection") is not None:
    _run(config.attributes["connection"])
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()
