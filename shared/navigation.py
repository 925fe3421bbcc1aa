"""One navigation over every service, and a start page per role.

The suite is several services under one origin (/intake, /matching, /rapportage); a person does
not care which service a page belongs to. Each menu item names the roles that may open it, so the
menu shows exactly what a role may use and nobody is sent to a page that answers "Geen toegang".
A service that is not part of this installation (see shared/components.py) has no items.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass

from shared.auth.roles import AANNEMER, BEHEERDER, JOBCOACH, OPLEIDER, PROGRAMMABUREAU
from shared.components import COMPONENTS


@dataclass(frozen=True)
class NavItem:
    key: str  # a page sets `nav_current` to this key to mark itself in the menu
    label: str  # Dutch source text, translated when shown
    path: str  # absolute path on the suite's origin
    roles: tuple[str, ...]
    module: str | None = None  # the page's code; the item shows only where that code exists

    @property
    def service(self) -> str:
        return self.path.strip("/").split("/", 1)[0]


# In menu order. A role's start page is the first item it may open.
NAV: tuple[NavItem, ...] = (
    NavItem("caseload", "Deelnemers", "/intake/deelnemers", (JOBCOACH, BEHEERDER)),
    NavItem("new", "Nieuwe intake", "/intake/deelnemers/nieuw", (JOBCOACH, BEHEERDER)),
    NavItem("proposals", "Voorstellen", "/matching/voorstellen", (JOBCOACH, BEHEERDER)),
    NavItem(
        "followups", "Opvolging", "/intake/opvolging", (JOBCOACH, BEHEERDER), "services.intake.web.followups"
    ),
    NavItem(
        "enrol",
        "Inschrijven voor opleiding",
        "/matching/inschrijvingen",
        (JOBCOACH,),
        "services.matching.web.enrol",
    ),
    NavItem("tasks", "Mijn instaptaken", "/matching/taken", (AANNEMER,)),
    NavItem("new_task", "Nieuwe instaptaak", "/matching/taken/nieuw", (AANNEMER,)),
    NavItem(
        "placements",
        "Plaatsingen",
        "/matching/plaatsingen",
        (AANNEMER, BEHEERDER),
        "services.matching.web.placements",
    ),
    NavItem("slots", "Mijn opleidingsplekken", "/matching/plekken", (OPLEIDER,)),
    NavItem("new_slot", "Nieuwe opleidingsplek", "/matching/plekken/nieuw", (OPLEIDER,)),
    NavItem(
        "certificates",
        "Certificaten",
        "/matching/certificaten",
        (OPLEIDER, BEHEERDER),
        "services.matching.web.certificates",
    ),
    NavItem("introductions", "Kennismakingen", "/matching/kennismakingen", (AANNEMER, OPLEIDER)),
    NavItem("reports", "Rapportages", "/rapportage/", (PROGRAMMABUREAU, BEHEERDER)),
    # A contractor's own placements report (its SROI accounting); the only report it may see.
    NavItem("own_report", "Rapportage", "/rapportage/rapporten/placements", (AANNEMER,)),
    NavItem("runs", "Matchrondes", "/matching/rondes", (JOBCOACH, PROGRAMMABUREAU, BEHEERDER)),
    NavItem("outreach", "Voorlichting", "/rapportage/voorlichting", (JOBCOACH, PROGRAMMABUREAU, BEHEERDER)),
)


@functools.cache
def _module_exists(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def _installed(item: NavItem) -> bool:
    component = COMPONENTS.get(item.service)
    if component is None or component.app_factory is None:
        return False
    return item.module is None or _module_exists(item.module)


def items_for(role: str | None) -> list[NavItem]:
    """The menu of this role: only pages it may open, of services that exist."""
    if role is None:
        return []
    return [item for item in NAV if role in item.roles and _installed(item)]


def start_path(role: str | None) -> str:
    """Where this role begins after logging in (the first item of its menu)."""
    items = items_for(role)
    return items[0].path if items else "/intake/login"
