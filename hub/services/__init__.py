"""Writes of the roundtable core, one module per area."""
