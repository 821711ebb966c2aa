"""Languages, catalogues and locale formats."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from tournee.api.web import i18n
from tournee.domain import InvalidInput

WEB = Path(i18n.__file__).parent


def _plain(s: str) -> str:
    return s.replace("\u00a0", " ").replace("\u202f", " ")


@pytest.mark.parametrize(
    ("lang", "currency", "expected"),
    [("fr", "EUR", "12,50 €"), ("fr", "CAD", "12,50 $"), ("en", "CAD", "$12.50"), ("en", "EUR", "€12.50")],
)
def test_money_is_written_the_local_way(lang: str, currency: str, expected: str) -> None:
    assert _plain(i18n.format_money(1250, currency=currency, lang=lang)) == expected


def test_large_amounts_group_thousands_per_locale() -> None:
    assert _plain(i18n.format_money(123456789, currency="EUR", lang="fr")) == "1 234 567,89 €"
    assert i18n.format_money(123456789, currency="CAD", lang="en") == "$1,234,567.89"


def test_dates_numbers_and_weights_follow_the_language() -> None:
    day = dt.date(2026, 11, 25)
    assert i18n.format_date(day, lang="fr") == "mercredi 25 novembre 2026"
    assert i18n.format_date(day, lang="en", currency="CAD") == "Wednesday, November 25, 2026"
    assert _plain(i18n.format_kg(12_500, lang="fr")) == "12,5 kg"
    assert _plain(i18n.format_km(12_345, lang="en")) == "12.3 km"
    assert i18n.format_clock(8 * 3600 + 5 * 60) == "08:05"
    assert i18n.format_clock(86_400 + 9 * 3600) == "09:00"  # a plan time on the second day


@given(st.integers(min_value=0, max_value=10**11))
def test_money_always_shows_the_cents_exactly(cents: int) -> None:
    text = _plain(i18n.format_money(cents, currency="EUR", lang="fr"))
    assert text.endswith(f",{cents % 100:02d} €")


def test_language_is_chosen_by_query_then_cookie_then_tenant() -> None:
    assert i18n.negotiate_lang() == "fr"
    assert i18n.negotiate_lang(tenant_lang="en") == "en"
    assert i18n.negotiate_lang(cookie="fr", tenant_lang="en") == "fr"
    assert i18n.negotiate_lang(query="en", cookie="fr", tenant_lang="fr") == "en"
    assert i18n.negotiate_lang(query="de", tenant_lang="en") == "en"  # unsupported is ignored
    assert i18n.negotiate_lang(accept_language="de-DE,en;q=0.8") == "en"


def test_unknown_language_is_refused() -> None:
    with pytest.raises(InvalidInput, match="lang"):
        i18n.format_money(100, currency="EUR", lang="de")


def test_catalogues_translate_every_message_of_templates_and_code() -> None:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found = {
        (m[2][0] if isinstance(m[2], tuple) else m[2])
        for m in extract_from_dir(str(WEB), method_map, options_map=options)
    }
    assert len(found) > 20
    for lang in i18n.LANGUAGES:
        with (WEB / "locale" / lang / "LC_MESSAGES" / "tournee.po").open("rb") as f:
            catalog = read_po(f, locale=lang)
        translated = {
            (m.id[0] if isinstance(m.id, tuple) else m.id)
            for m in catalog
            if m.id
            and m.string
            and not m.fuzzy
            and all(m.string if isinstance(m.string, tuple) else [m.string])
        }
        assert found - translated == set(), lang


def test_french_catalogue_is_compiled_from_the_po_file() -> None:
    t = i18n.translations("fr")
    assert t.gettext("Route sheet") == "Feuille de route"
    assert t.ngettext("%(num)d parcel", "%(num)d parcels", 2) % {"num": 2} == "2 colis"
    assert i18n.translations("en").gettext("Route sheet") == "Route sheet"


def test_every_message_the_scripts_show_is_translated() -> None:
    import re

    from tournee.api.web.router import JS_MESSAGES

    used: set[str] = set()
    for js in (WEB / "static" / "js").glob("*.js"):
        used |= set(re.findall(r'\bt\("((?:[^"\\]|\\.)*)"\)', js.read_text(encoding="utf-8")))
    assert used, "no t(...) call found"
    assert used - set(JS_MESSAGES) == set()
    fr = i18n.translations("fr")
    untranslated = [m for m in JS_MESSAGES if fr.gettext(m) == m and m not in ("Page", "Date", "Distance")]
    assert untranslated == []
