"""Third-party assets, vendored unchanged (see the licence header of each file)."""
