"""Data files of the routing engine (emission factors), shipped as package data."""
