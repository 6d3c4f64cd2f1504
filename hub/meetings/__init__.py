"""Meetings, minutes, action items and live notes: one module per concern (app label stays ``hub``)."""
