"""Alembic environment: runs on the connection handed over by `conversations.storage.db.upgrade`."""

from alembic import context
from sqlalchemy import create_engine

from conversations.storage.models import Base

config = context.config
connection = config.attributes.get("connection")


def run(conn) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=conn,
        target_metadata=Base.metadata,
        render_as_batch=conn.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run(connection)
else:
    with create_engine(config.get_main_option("sqlalchemy.url")).connect() as conn:
        run(conn)
