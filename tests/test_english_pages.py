"""Each role's pages in English: the start page, every menu item, and the not-found and no-access
pages show no Dutch text the catalogue has an English translation for."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from services.rapportage.domain.reports import REPORTS
from services.rapportage.exports import labels as report_labels
from shared.auth.roles import ALL_ROLES
from shared.i18n_catalogue import load
from shared.navigation import items_for, start_path
from tests.conftest import LoggedIn

# Dutch phrases a page in English must not show (beyond the catalogue check below).
KEY_PHRASES = ("Geen toegang", "Deze pagina bestaat niet", "Uitloggen", "Hoofdmenu", "verplicht")


def _dutch_phrases() -> list[str]:
    """Catalogue texts of three words or more whose English differs: their Dutch must not show."""
    phrases = set(KEY_PHRASES)
    for message in load():
        text = message.id
        translated = bool(message.string) and message.string != text
        if isinstance(text, str) and translated and len(text.split()) >= 3 and "%" not in text:
            phrases.add(text)
    return sorted(phrases)


DUTCH = _dutch_phrases()
_TAGS = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]+>", re.S)


def _visible_text(page: str) -> str:
    return " ".join(html.unescape(_TAGS.sub(" ", page)).split())


def _report_vocabulary() -> set[str]:
    """The words of the report documents (services/rapportage/exports/labels.py): the reports'
    contents (titles, descriptions, dimensions, categories) are Dutch only for now (docs/i18n.md)."""
    words: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            words.add(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)

    for value in vars(report_labels).values():
        walk(value)
    for report in REPORTS.values():
        words.update({report.title, report.description})
    return {w for w in words if w}


REPORT_WORDS = _report_vocabulary()


def _dutch_on(page: str, allowed: set[str] | frozenset[str] = frozenset()) -> list[str]:
    text = _visible_text(page)
    for words in sorted(allowed, key=len, reverse=True):  # the report's own Dutch, longest first
        text = text.replace(" ".join(words.split()), " ")
    return [phrase for phrase in DUTCH if " ".join(phrase.split()) in text]


def _client(world: Any, service: str, cookie: str) -> Any:
    client = world.app(service).test_client()
    client.set_cookie("instap_session", cookie)
    client.set_cookie("instap_lang", "en")
    return client


@pytest.mark.parametrize("role", ALL_ROLES)
def test_the_pages_of_each_role_in_english(role: str, world: Any, make_user: Any) -> None:
    user = LoggedIn(world.app("intake").test_client(), make_user(role, org=f"Org {role}"))
    cookie = user.client.get_cookie("instap_session").value
    paths = [(item.service, item.path) for item in items_for(role)]
    assert start_path(role) == paths[0][1]
    for service, path in paths:
        response = _client(world, service, cookie).get(path)
        assert response.status_code == 200, (role, path)
        assert 'lang="en"' in response.text, (role, path)
        allowed = REPORT_WORDS if service == "rapportage" else frozenset()
        assert _dutch_on(response.text, allowed) == [], (role, path)
    missing = _client(world, "intake", cookie).get("/intake/bestaat-niet")
    assert missing.status_code == 404
    assert 'lang="en"' in missing.text and _dutch_on(missing.text) == [], role


def test_the_no_access_page_in_english(world: Any, make_user: Any) -> None:
    user = LoggedIn(world.app("intake").test_client(), make_user("aannemer", org="Bouw BV"))
    cookie = user.client.get_cookie("instap_session").value
    response = _client(world, "intake", cookie).get("/intake/deelnemers")
    assert response.status_code == 403
    assert 'lang="en"' in response.text and _dutch_on(response.text) == []


def test_the_check_finds_dutch() -> None:
    assert _dutch_on("<main><h1>Geen toegang</h1></main>") == ["Geen toegang"]
    assert _dutch_on("<p>No access</p>") == []
