"""Experts, availability, requests and draws."""
