"""The session engine with Redis in front (``SESSION_ENGINE`` when the hub has Redis): Django's ``cached_db``,
whose database read (a cache miss) is the prepared one of ``hub.accounts.sessions``."""
from django.contrib.sessions.backends import cached_db

from hub.accounts.sessions import PreparedRead


class SessionStore(PreparedRead, cached_db.SessionStore):
    pass
