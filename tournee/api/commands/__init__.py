"""CLI command modules, one per area; ``register_all`` adds them to the app."""

from __future__ import annotations

import importlib

import typer

# One entry per area module; each defines ``register(app)``.
_AREAS: tuple[str, ...] = ("maps", "plan", "quote", "serve")


def register_all(app: typer.Typer) -> None:
    """Add every area's commands to ``app``."""
    for name in _AREAS:
        importlib.import_module(f"tournee.api.commands.{name}").register(app)
