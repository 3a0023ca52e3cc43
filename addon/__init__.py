"""Mutual Action Plan backend."""

__version__ = "0.1.0"
