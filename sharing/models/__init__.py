"""Shared achievements, adoption records, group standards and mutual recognition."""
from sharing.models.adoption import Adoption

__all__ = ["Adoption"]
