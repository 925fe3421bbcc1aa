"""The roles of the suite (domain.md: 'The people who use the suite')."""

from __future__ import annotations

JOBCOACH = "jobcoach"
AANNEMER = "aannemer"
OPLEIDER = "opleider"
PROGRAMMABUREAU = "programmabureau"
BEHEERDER = "beheerder"

ALL_ROLES = (JOBCOACH, AANNEMER, OPLEIDER, PROGRAMMABUREAU, BEHEERDER)

ROLE_LABELS_NL = {
    JOBCOACH: "Jobcoach",
    AANNEMER: "Aannemer",
    OPLEIDER: "Opleider (Beroepentuin)",
    PROGRAMMABUREAU: "Programmabureau",
    BEHEERDER: "Beheerder",
}
