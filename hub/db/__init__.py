"""The hub's database engine: Django's PostgreSQL backend on its psycopg pool, failing fast while the server is
down (hub/db/base.py)."""
