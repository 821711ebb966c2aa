"""Jinja2 environments, one per language, with the locale's formatters bound in.

Templates live in ``templates/`` (package data) and use ``{{ _("…") }}`` for every
visible string; ``f`` is a :class:`Formats` bound to the page's language and the tenant's
currency (``{{ f.money(1250) }}``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from tournee.api.web import i18n

__all__ = ["Formats", "environment", "render"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Formats:
    """Locale formatters for one language and currency, as templates call them."""

    lang: str
    currency: str = "EUR"

    def money(self, amount_cents: int) -> str:
        return i18n.format_money(amount_cents, currency=self.currency, lang=self.lang)

    def kg(self, weight_g: int, digits: int = 1) -> str:
        return i18n.format_kg(weight_g, lang=self.lang, currency=self.currency, digits=digits)

    def km(self, distance_m: int, digits: int = 1) -> str:
        return i18n.format_km(distance_m, lang=self.lang, currency=self.currency, digits=digits)

    def number(self, value: float, digits: int = 0) -> str:
        return i18n.format_number(value, lang=self.lang, currency=self.currency, digits=digits)

    def date(self, date: dt.date, fmt: str = "full") -> str:
        return i18n.format_date(date, lang=self.lang, currency=self.currency, fmt=fmt)

    def clock(self, seconds: int) -> str:
        return i18n.format_clock(seconds)

    def duration(self, duration_s: int) -> str:
        h, m = divmod(duration_s // 60, 60)
        return f"{h} h {m:02d}" if h else f"{m} min"

    @property
    def intl(self) -> str:
        return i18n.intl_locale(self.lang, self.currency)


@lru_cache(maxsize=len(i18n.LANGUAGES))
def environment(lang: str) -> Environment:
    """The template environment of one language (cached; templates are read once)."""
    env = Environment(
        loader=PackageLoader("tournee.api.web", "templates"),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def render(name: str, *, lang: str, currency: str = "EUR", **context: Any) -> str:
    """Render template ``name`` in ``lang`` with ``f`` (formatters) and ``lang`` in scope."""
    env = environment(lang)
    return env.get_template(name).render(
        f=Formats(lang=lang, currency=currency), lang=lang, currency=currency, **context
    )
