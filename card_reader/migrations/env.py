"""Alembic's entry point for card-reader's results store: migrations run on the connection the store
opened (``card_reader.store.migrate``), never from a config file of their own."""

from alembic import context

from card_reader.store import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
