"""Plain-Dutch labels for the matching pages' code lists (translated when rendered)."""

from __future__ import annotations

from shared.pages import DAYS, ReferenceLabels

CONTRACT_TYPES = {
    "bbl": "BBL (leren en werken)",
    "bepaalde_tijd": "Tijdelijk contract",
    "onbepaalde_tijd": "Vast contract",
    "uitzend": "Via een uitzendbureau",
    "proefplaatsing": "Proefplaatsing",
}
OPENING_STATUS = {"open": "Open", "gesloten": "Gesloten"}
PROPOSAL_STATUS = {
    "voorgesteld": "Nieuw voorstel",
    "coach_akkoord": "Jobcoach akkoord",
    "coach_afgewezen": "Afgewezen door jobcoach",
    "aannemer_akkoord": "Geaccepteerd",
    "aannemer_afgewezen": "Afgewezen door organisatie",
    "geplaatst": "Gestart",
    "ingeschreven": "Ingeschreven",
    "ingetrokken": "Ingetrokken",
}
COACH_REJECT_REASONS = {
    "past_niet": "Past niet bij de deelnemer",
    "geen_interesse": "Deelnemer heeft geen interesse",
    "reistijd": "Reistijd is te lang",
    "uren": "Uren passen niet",
    "andere_plaatsing": "Deelnemer heeft al iets anders",
    "persoonlijke_situatie": "Persoonlijke situatie",
}
ORG_DECLINE_REASONS = {
    "plek_vergeven": "De plek is al vergeven",
    "eisen_niet_gehaald": "Voldoet niet aan de eisen",
    "planning": "Past niet in de planning",
    "past_niet_in_team": "Past niet in het team",
    "anders": "Andere reden",
}
PLACEMENT_STATUS = {
    "afgesproken": "Afgesproken, nog niet gestart",
    "gestart": "Aan het werk",
    "beeindigd": "Beëindigd",
    "geannuleerd": "Niet doorgegaan",
}
PLACEMENT_END_REASONS = {
    "contract_afgelopen": "Contract is afgelopen",
    "vast_werk_elders": "Werk gevonden bij een andere werkgever",
    "ander_werk_bij_aannemer": "Ander werk bij dezelfde aannemer",
    "opleiding_gestart": "Begonnen aan een opleiding",
    "zelf_gestopt": "Deelnemer is zelf gestopt",
    "ontslag_proeftijd": "Gestopt in de proeftijd",
    "ontslag": "Ontslagen",
    "project_gestopt": "Het project is gestopt",
    "onbekend": "Onbekend",
}
PLACEMENT_CANCEL_REASONS = {
    "deelnemer_ziet_af": "Deelnemer ziet ervan af",
    "aannemer_ziet_af": "Aannemer ziet ervan af",
    "toestemming_ingetrokken": "Toestemming ingetrokken",
    "planning": "Past niet in de planning",
    "anders": "Andere reden",
}
AGE_BANDS = {
    "15-25": "15 tot 25 jaar",
    "25-45": "25 tot 45 jaar",
    "45-65": "45 tot 65 jaar",
    "65+": "65 jaar of ouder",
}
RUN_KINDS = {
    "full": "Volledige ronde",
    "candidate": "Eén deelnemer",
    "task": "Eén instaptaak",
    "slot": "Eén opleidingsplek",
}
RUN_STATUS = {"queued": "In de wachtrij", "running": "Bezig", "done": "Klaar", "failed": "Mislukt"}
RUN_COUNTS = {
    "candidates": "Deelnemers",
    "openings": "Plekken",
    "assigned": "Gekoppeld",
    "created": "Nieuwe voorstellen",
    "kept": "Bestaande voorstellen",
    "withdrawn": "Ingetrokken",
}
RUN_TIMINGS = {"build": "Voorbereiden", "engine": "Rekenen", "store": "Opslaan"}


class Labels(ReferenceLabels):
    """What templates see as `labels`: code → Dutch label per list (reference data read live)."""

    contracts = CONTRACT_TYPES
    opening_status = OPENING_STATUS
    proposal_status = PROPOSAL_STATUS
    coach_reasons = COACH_REJECT_REASONS
    org_reasons = ORG_DECLINE_REASONS
    age_bands = AGE_BANDS
    placement_status = PLACEMENT_STATUS
    placement_end = PLACEMENT_END_REASONS
    placement_cancel = PLACEMENT_CANCEL_REASONS
    # Every reason code a proposal or placement can carry, for timelines.
    reasons = {
        **COACH_REJECT_REASONS,
        **ORG_DECLINE_REASONS,
        **PLACEMENT_END_REASONS,
        **PLACEMENT_CANCEL_REASONS,
        "plek_gesloten": "De plek is gesloten",
    }
    run_kinds = RUN_KINDS
    run_status = RUN_STATUS
    run_counts = RUN_COUNTS
    run_timings = RUN_TIMINGS
    days = DAYS


LABELS = Labels()
# The shared helpers (shared/pages.py), bound to this service's lists.
label = LABELS.label
labels_for = LABELS.labels_for
options = LABELS.options
