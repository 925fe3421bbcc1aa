"""One navigation over every service, and a start page per role.

The suite is several services under one origin (/intake, /matching, /rapportage); a person does
not care which service a page belongs to. Each menu item names the roles that may open it, so the
menu shows exactly what a role may use and nobody is sent to a page that answers "Geen toegang".
A service that is not part of this installation (see shared/components.py) has no items.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.auth.roles import AANNEMER, BEHEERDER, JOBCOACH, OPLEIDER, PROGRAMMABUREAU
from shared.components import COMPONENTS


@dataclass(frozen=True)
class NavItem:
    key: str  # a page sets `nav_current` to this key to mark itself in the menu
    label: str  # Dutch source text, translated when shown
    path: str  # absolute path on the suite's origin
    roles: tuple[str, ...]

    @property
    def service(self) -> str:
        return self.path.strip("/").split("/", 1)[0]


# In menu order. A role's start page is the first item it may open.
NAV: tuple[NavItem, ...] = (
    NavItem("caseload", "Deelnemers", "/intake/deelnemers", (JOBCOACH, BEHEERDER)),
    NavItem("new", "Nieuwe intake", "/intake/deelnemers/nieuw", (JOBCOACH, BEHEERDER)),
    NavItem("proposals", "Voorstellen", "/matching/voorstellen", (JOBCOACH, BEHEERDER)),
    NavItem("tasks", "Mijn instaptaken", "/matching/taken", (AANNEMER,)),
    NavItem("new_task", "Nieuwe instaptaak", "/matching/taken/nieuw", (AANNEMER,)),
    NavItem("slots", "Mijn opleidingsplekken", "/matching/plekken", (OPLEIDER,)),
    NavItem("new_slot", "Nieuwe opleidingsplek", "/matching/plekken/nieuw", (OPLEIDER,)),
    NavItem("introductions", "Kennismakingen", "/matching/kennismakingen", (AANNEMER, OPLEIDER)),
    NavItem("reports", "Rapportages", "/rapportage/", (PROGRAMMABUREAU, BEHEERDER)),
    NavItem("runs", "Matchrondes", "/matching/rondes", (JOBCOACH, PROGRAMMABUREAU, BEHEERDER)),
)


def _installed(item: NavItem) -> bool:
    component = COMPONENTS.get(item.service)
    return component is not None and component.app_factory is not None


def items_for(role: str | None) -> list[NavItem]:
    """The menu of this role: only pages it may open, of services that exist."""
    if role is None:
        return []
    return [item for item in NAV if role in item.roles and _installed(item)]


def start_path(role: str | None) -> str:
    """Where this role begins after logging in (the first item of its menu)."""
    items = items_for(role)
    return items[0].path if items else "/intake/login"
