"""The roundtable core. One module per area; import them here so Django finds every model."""
from .provinces import Association, Province  # noqa: F401
