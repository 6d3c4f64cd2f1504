"""The registry of notification kinds. A feature registers its kinds once (at import of its notify module, loaded
from ``HubConfig.ready``); ``notify`` refuses an unregistered kind, and the preferences page lists them all."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    key: str
    label: str  # what the preferences page shows (lazy gettext)
    audience: str  # who receives it, in words (preferences page, documentation)
    email_default: bool = True


_KINDS: dict[str, Kind] = {}


def register(key: str, *, label, audience, email_default: bool = True) -> Kind:
    """Register a kind; registering the same key again with the same meaning is harmless (module reloads)."""
    kind = Kind(key=key, label=label, audience=audience, email_default=email_default)
    _KINDS[key] = kind
    return kind


def get(key: str) -> Kind:
    try:
        return _KINDS[key]
    except KeyError:
        raise ValueError(f"unknown notification kind {key!r}; register it in hub.notifications.kinds") from None


def all_kinds() -> list[Kind]:
    return sorted(_KINDS.values(), key=lambda k: k.key)
