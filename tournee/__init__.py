"""Tournée: low-carbon last-mile delivery planning for local commerce."""

__version__ = "0.1.0"
