"""What every province-owned page type shares: its province is the section's that holds it, never chosen."""
from __future__ import annotations


class ProvinceOwnedPage:
    """Mixin for page models with a ``province`` field: whenever the row is written in the tree (create, edit,
    publish, move, copy), the province is taken from the parent — a province section, or a page that itself
    belongs to one. A page under no province (a campaign on the home page) has none. An English version
    (hub/translations.py) sits under the English section, which names no province: it keeps the province copied
    from its original."""

    def save(self, *args, **kwargs):
        parent = self.get_parent() if self.path else None
        if parent is not None:
            province_id = getattr(parent.specific, "province_id", None)
            is_translation = self.translation_key and self.locale_id and self.locale_id != _default_locale_id()
            self.province_id = province_id or (self.province_id if is_translation else None)
        return super().save(*args, **kwargs)


def _default_locale_id() -> int:
    from wagtail.models import Locale

    return Locale.get_default().pk
