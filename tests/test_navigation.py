"""One menu over the services: every role starts on a page it may open, and every item of its
menu opens for it (no "Geen toegang" reachable from the menu), whatever services are installed."""

from __future__ import annotations

from typing import Any

import pytest

from shared.auth.roles import ALL_ROLES
from shared.navigation import items_for, start_path
from tests.conftest import LoggedIn


@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_menu_item_and_the_start_page_open_for_the_role(role: str, world: Any, make_user: Any) -> None:
    items = items_for(role)
    assert items, role
    assert start_path(role) == items[0].path
    user = LoggedIn(world.app("intake").test_client(), make_user(role, org=f"Org {role}"))
    cookie = user.client.get_cookie("instap_session").value
    for item in items:
        client = world.app(item.service).test_client()
        client.set_cookie("instap_session", cookie)
        response = client.get(item.path)
        assert response.status_code == 200, (role, item.path, response.status_code)
        assert 'aria-current="page"' in response.text, (role, item.path)  # the page marks itself


def test_menus_follow_the_roles() -> None:
    labels = {role: [i.label for i in items_for(role)] for role in ALL_ROLES}
    assert {"Deelnemers", "Voorstellen"} <= set(labels["jobcoach"])
    assert {"Mijn instaptaken", "Kennismakingen"} <= set(labels["aannemer"])
    assert {"Mijn opleidingsplekken", "Kennismakingen"} <= set(labels["opleider"])
    assert "Matchrondes" in labels["programmabureau"] and "Deelnemers" not in labels["programmabureau"]
    assert set(labels["jobcoach"]) - {"Inschrijven voor opleiding"} <= set(labels["beheerder"])
    assert items_for(None) == []
