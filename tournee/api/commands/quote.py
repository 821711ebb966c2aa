"""``tournee quote``: what delivery costs per tier for a prospective order, from the plan.

Prices come from the current plan (cheapest insertion into its rounds, or a new
vehicle-day where a tier allows one) plus a carbon surcharge; see ``tournee.tariffs``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tournee.api.commands.maps import MapOption, _run, cache_dir
from tournee.api.services.plan_io import OSM_ATTRIBUTION
from tournee.api.services.quoting import quote_files, render_quote
from tournee.domain import InvalidInput

__all__ = ["quote", "register"]

_err = Console(stderr=True)


def quote(
    plan: Annotated[Path, typer.Option("--plan", help="The current plan (plan.json from `tournee plan`).")],
    fleet: Annotated[Path, typer.Option("--fleet", help="The operation the plan was made for (fleet.toml).")],
    order: Annotated[
        str,
        typer.Option(
            "--order",
            help="An orders CSV (docs/formats.md; tier ignored) or inline pairs, e.g. "
            "'merchant=bakery lon=24.94 lat=60.17 weight_kg=2.5 parcels=1'.",
        ),
    ],
    map_path: MapOption = None,
    straight_line: Annotated[
        bool, typer.Option("--straight-line", help="Straight-line travel instead of the map's roads (fast).")
    ] = False,
    policy: Annotated[
        Path | None, typer.Option("--policy", help="Tariff policy TOML (default: the shipped policy).")
    ] = None,
    carbon_price: Annotated[
        str | None,
        typer.Option(
            "--carbon-price", help="Carbon price reference: eu-ets-2025, fr-vac-2025, qc-spede-2026-02…"
        ),
    ] = None,
    carbon_price_custom: Annotated[
        float | None,
        typer.Option(
            "--carbon-price-custom", min=0.0, help="A custom carbon price, currency units per tonne."
        ),
    ] = None,
    ordered_on: Annotated[
        str | None, typer.Option("--ordered-on", help="Order date YYYY-MM-DD (default: day before the plan).")
    ] = None,
    breakdown: Annotated[bool, typer.Option("--breakdown", help="Print each tier's price lines.")] = False,
) -> None:
    """Price a prospective order in every tier: date, price, carbon surcharge, kg CO2e."""

    def go() -> str:
        day = None
        if ordered_on is not None:
            try:
                day = dt.date.fromisoformat(ordered_on)
            except ValueError:
                raise InvalidInput(f"--ordered-on must be a date YYYY-MM-DD, got {ordered_on!r}") from None
        with _err.status("starting…") as status:
            run = quote_files(
                plan_path=plan,
                fleet_path=fleet,
                order_spec=order,
                map_path=map_path,
                straight_line=straight_line,
                policy_path=policy,
                carbon_price_id=carbon_price,
                carbon_price_custom=carbon_price_custom,
                ordered_on=day,
                cache_dir=cache_dir(),
                on_stage=status.update,
            )
        parts = [
            render_quote(d, order=o, breakdown=breakdown)
            for d, o in zip(run.details, run.orders, strict=True)
        ]
        parts.append(f"Travel: {run.travel}.")
        if not straight_line:
            parts.append(OSM_ATTRIBUTION)
        return "\n\n".join(parts)

    typer.echo(_run(go))


def register(app: typer.Typer) -> None:
    """Add ``tournee quote`` to the app."""
    app.command("quote")(quote)
