"""Overgang: the integration service between hospital and municipality."""
