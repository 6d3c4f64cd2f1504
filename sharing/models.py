"""Shared achievements, adoption records, group standards and mutual recognition."""
