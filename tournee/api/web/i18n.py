"""Languages, catalogues and locale formatting for pages and documents.

French is the default; English is the other language.  Message catalogues are gettext
``.po`` files under ``locale/<lang>/LC_MESSAGES/tournee.po`` (package data); they are
compiled to ``.mo`` in memory the first time a language is used, so an editable install
needs no build step and a catalogue can never be stale.

Money, dates and numbers follow the *region* of the tenant's currency: a French page for
a tenant in euros writes ``12,50 €``, for a tenant in Canadian dollars ``12,50 $``
(fr-CA); English gives ``€12.50`` / ``$12.50``.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from functools import lru_cache
from importlib.resources import files

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import Translations

from tournee.domain import DAY_S, InvalidInput

__all__ = [
    "DEFAULT_LANG",
    "DOMAIN",
    "LANGUAGES",
    "babel_locale",
    "format_clock",
    "format_date",
    "format_datetime",
    "format_kg",
    "format_km",
    "format_money",
    "format_number",
    "intl_locale",
    "negotiate_lang",
    "translations",
]

LANGUAGES: tuple[str, ...] = ("fr", "en")
DEFAULT_LANG = "fr"
DOMAIN = "tournee"

# (language, currency) -> Babel locale: the region whose conventions the tenant's users expect.
_REGION = {
    ("fr", "EUR"): "fr_FR",
    ("fr", "CAD"): "fr_CA",
    ("en", "EUR"): "en_IE",
    ("en", "CAD"): "en_CA",
}
_DEFAULT_REGION = {"fr": "fr_FR", "en": "en_GB"}


def _check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise InvalidInput(
            f"language: lang must be one of {', '.join(LANGUAGES)}, got {lang!r}", pointer="/lang"
        )
    return lang


def babel_locale(lang: str, currency: str = "EUR") -> str:
    """The Babel locale (``fr_CA``…) for a page language and the tenant's currency.

    Parameters
    ----------
    lang : str
        ``"fr"`` or ``"en"``.
    currency : str
        ISO 4217 code of the tenant's currency (``"EUR"`` or ``"CAD"``).

    Returns
    -------
    str
        A Babel locale identifier.

    Raises
    ------
    InvalidInput
        If ``lang`` is not a supported language.
    """
    _check_lang(lang)
    return _REGION.get((lang, currency.upper()), _DEFAULT_REGION[lang])


def intl_locale(lang: str, currency: str = "EUR") -> str:
    """The BCP 47 tag (``fr-CA``) the browser's ``Intl`` API should use for the same locale."""
    return babel_locale(lang, currency).replace("_", "-")


@lru_cache(maxsize=len(LANGUAGES))
def translations(lang: str) -> Translations:
    """The compiled gettext catalogue of ``lang``, read from the package's ``.po`` file.

    Raises
    ------
    InvalidInput
        If ``lang`` is not a supported language.
    """
    _check_lang(lang)
    po_path = files("tournee.api.web") / "locale" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po_path.open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(fp=buf, domain=DOMAIN)


def negotiate_lang(
    *,
    query: str | None = None,
    cookie: str | None = None,
    tenant_lang: str | None = None,
    accept_language: str | None = None,
) -> str:
    """Pick the page language: ``?lang=`` first, then the user's cookie, then the tenant's.

    The browser's ``Accept-Language`` is only used when the tenant has no language; an
    unsupported value at any level is ignored rather than refused.
    """
    for candidate in (query, cookie, tenant_lang):
        if candidate:
            short = candidate.strip().lower()[:2]
            if short in LANGUAGES:
                return short
    if accept_language:
        for part in accept_language.split(","):
            short = part.split(";")[0].strip().lower()[:2]
            if short in LANGUAGES:
                return short
    return DEFAULT_LANG


def format_money(amount_cents: int, *, currency: str, lang: str) -> str:
    """``1250`` cents → ``"12,50 €"`` (fr, EUR), ``"12,50 $"`` (fr, CAD), ``"$12.50"`` (en, CAD).

    Parameters
    ----------
    amount_cents : int
        Amount in cents of ``currency``.
    currency : str
        ISO 4217 code.
    lang : str
        Page language.
    """
    loc = babel_locale(lang, currency)
    return format_currency(amount_cents / 100, currency.upper(), locale=loc)


def format_number(value: float, *, lang: str, currency: str = "EUR", digits: int = 0) -> str:
    """A number with the locale's separators and exactly ``digits`` decimals."""
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=babel_locale(lang, currency))


def format_kg(weight_g: int, *, lang: str, currency: str = "EUR", digits: int = 1) -> str:
    """Grams as kilograms: ``12500`` → ``"12,5 kg"`` in French."""
    return f"{format_number(weight_g / 1000, lang=lang, currency=currency, digits=digits)}\u00a0kg"


def format_km(distance_m: int, *, lang: str, currency: str = "EUR", digits: int = 1) -> str:
    """Metres as kilometres: ``12345`` → ``"12,3 km"`` in French."""
    return f"{format_number(distance_m / 1000, lang=lang, currency=currency, digits=digits)}\u00a0km"


def format_date(date: dt.date, *, lang: str, currency: str = "EUR", fmt: str = "full") -> str:
    """A calendar date, e.g. ``"mercredi 25 novembre 2026"`` (``fmt``: full, long, medium, short)."""
    return _babel_date(date, format=fmt, locale=babel_locale(lang, currency))


def format_datetime(moment: dt.datetime, *, lang: str, currency: str = "EUR", fmt: str = "medium") -> str:
    """A date and time in the locale's style (``moment`` keeps its own time zone)."""
    return _babel_datetime(moment, format=fmt, locale=babel_locale(lang, currency), tzinfo=moment.tzinfo)


def format_clock(seconds: int) -> str:
    """Seconds since midnight (or from a horizon start) → ``"08:05"`` on a 24-hour clock.

    Times past midnight wrap (a plan's ``arrival_s`` is counted from the horizon start).
    """
    s = seconds % DAY_S
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


def language_names(lang: str) -> dict[str, str]:
    """Each supported language's name written in itself, for a language switch."""
    del lang
    return {code: (Locale.parse(code).get_display_name(code) or code).capitalize() for code in LANGUAGES}


def gettext_all(lang: str, messages: Iterable[str]) -> dict[str, str]:
    """Translate ``messages`` in one go (the strings a page's script needs)."""
    t = translations(lang)
    return {m: t.gettext(m) for m in messages}
