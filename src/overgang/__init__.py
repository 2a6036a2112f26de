"""Overgang: the integration service between hospital and municipality."""

__version__ = "0.1.0"
