"""Every page text marked for translation has an English translation, with the same placeholders.

Extraction (pybabel, map babel.cfg) finds the texts written as _("...") in Python and templates.
Texts that reach _() through a variable (menus, role names, code lists) are listed here from
their tables, because extraction cannot see them. `make translations` adds new texts to the
catalogue; see docs/i18n.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from babel.messages.catalog import Catalog

from services.intake.web.labels import LABELS as INTAKE_LABELS
from services.matching.web import certificates as certificate_pages
from services.matching.web import cohorts
from services.matching.web.labels import LABELS as MATCHING_LABELS
from services.rapportage.web.views import DASHBOARD_BY, KIND_LABELS, OUTREACH_FIELDS
from shared.auth.roles import ROLE_LABELS_NL
from shared.i18n import _MARSHMALLOW_NL
from shared.i18n_catalogue import SAME_IN_ENGLISH, extract, load, placeholder_mismatches, untranslated
from shared.navigation import items_for


@pytest.fixture(scope="module")
def catalogue() -> Catalog:
    return load()


def test_every_marked_text_has_an_english_translation(catalogue: Catalog) -> None:
    template = extract()
    assert len(template) > 500  # extraction found the texts (a wrong babel.cfg finds none)
    missing = untranslated(template, catalogue)
    assert missing == [], f"run `make translations` and translate in the catalogue: {missing}"


def _label_tables() -> Iterable[tuple[str, Iterable[Any]]]:
    for labels in (INTAKE_LABELS, MATCHING_LABELS):
        for kind in dir(labels):
            if kind.startswith("_") or kind in ("label", "labels_for", "options"):
                continue
            table = labels._table(kind)
            yield f"{type(labels).__module__}.{kind}", table.values()
    yield "navigation", {item.label for role in ROLE_LABELS_NL for item in items_for(role)}
    yield "roles", ROLE_LABELS_NL.values()
    yield "cohort phases", dict(cohorts.PHASES).values()
    yield "presence", cohorts.PRESENCE_LABELS.values()
    yield "revoke reasons", certificate_pages.REVOKE_LABELS.values()
    yield "rapportage breakdowns", DASHBOARD_BY.values()
    yield "outreach kinds", KIND_LABELS.values()
    yield "outreach fields", OUTREACH_FIELDS.values()
    yield "validation and werkzeug messages", _MARSHMALLOW_NL.values()


def test_texts_shown_through_a_variable_have_an_english_translation(catalogue: Catalog) -> None:
    missing = []
    for where, texts in _label_tables():
        for text in texts:
            if not isinstance(text, str) or text in SAME_IN_ENGLISH:
                continue
            entry = catalogue.get(text)
            if entry is None or not entry.string:
                missing.append((where, text))
    assert missing == []


def test_translations_keep_the_placeholders(catalogue: Catalog) -> None:
    assert placeholder_mismatches(catalogue) == []


def test_the_check_fails_on_a_new_text() -> None:
    """The check itself can fail: a marked text the catalogue lacks is reported."""
    template = Catalog(locale=None)
    template.add("Een tekst die nog niemand vertaalde")
    template.add("Inloggen")
    assert untranslated(template, load()) == ["Een tekst die nog niemand vertaalde"]
    broken = Catalog(locale="en")
    broken.add("Week %(n)s", "Week")
    assert placeholder_mismatches(broken) == ["Week %(n)s"]
