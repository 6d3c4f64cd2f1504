"""The hub's database engine: Django's PostgreSQL backend on its psycopg pool, failing fast while the server is
down (hub/db/base.py) and finding it again within about a second of its return (hub/db/pool.py)."""
