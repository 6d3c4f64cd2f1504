"""What every province-owned page type shares: its province is the section's that holds it, never chosen."""
from __future__ import annotations


class ProvinceOwnedPage:
    """Mixin for page models with a ``province`` field: whenever the row is written in the tree (create, edit,
    publish, move, copy), the province is taken from the parent — a province section, or a page that itself
    belongs to one. A page under no province (a campaign on the home page) has none."""

    def save(self, *args, **kwargs):
        parent = self.get_parent() if self.path else None
        if parent is not None:
            self.province_id = getattr(parent.specific, "province_id", None)
        return super().save(*args, **kwargs)
