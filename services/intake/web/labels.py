"""Plain-Dutch labels for the code lists shown on the intake pages (translated when rendered)."""

from __future__ import annotations

from shared import reference
from shared.pages import DAYS, ReferenceLabels

STAGES = {
    "aangemeld": "Aangemeld",
    "intake": "Intake gedaan",
    "orientatie": "Oriëntatie",
    "opleiding": "Opleiding",
    "gecertificeerd": "Gecertificeerd",
    "geplaatst": "Geplaatst",
    "duurzaam": "Duurzaam aan het werk",
    "uitgevallen": "Uitgevallen",
    "gestopt": "Gestopt",
}
DROPOUT_REASONS = {
    "persoonlijke_omstandigheden": "Persoonlijke omstandigheden",
    "werk_elders": "Werk gevonden ergens anders",
    "motivatie": "Motivatie",
    "vervoer": "Vervoer",
    "kinderopvang": "Kinderopvang",
    "taal": "Taal",
    "verhuisd": "Verhuisd",
    "onbekend": "Onbekend",
}
CONSENT_PURPOSES = {
    "registratie": "Registratie in het programma",
    "delen_opleider": "Profiel delen met de Beroepentuin",
    "delen_werkgever": "Profiel zonder naam delen met aannemers",
    "follow_up": "Contact na de plaatsing",
    "onderzoek": "Onderzoek en evaluatie",
}
CONSENT_METHODS = {"schriftelijk": "Schriftelijk", "mondeling": "Mondeling", "digitaal": "Digitaal"}
GENDERS = {"man": "Man", "vrouw": "Vrouw", "anders": "Anders", "onbekend": "Wil ik niet zeggen / onbekend"}
INCOME = {"bijstand": "Bijstand", "ww": "WW", "geen_uitkering": "Geen uitkering", "anders": "Anders"}
BARRIERS = {
    "kinderopvang": "Kinderopvang",
    "vervoer": "Vervoer",
    "taal": "Taal",
    "schulden_signaal": "Signaal van schulden",
}

# The right-of-access page (inzage) shows no raw codes: these say what each one means.
EVENT_TYPES = {
    "candidate.upserted": "Profiel zonder naam gedeeld met matching",
    "candidate.removed": "Matching gevraagd het profiel te vergeten",
    "consent.changed": "Toestemming doorgegeven aan matching",
    "stage.changed": "Fase doorgegeven (voor cijfers zonder namen)",
    "resident.erased": "Matching gevraagd alles te wissen",
}
PROPOSAL_STATUS = {
    "voorgesteld": "Voorgesteld",
    "coach_akkoord": "Jobcoach en deelnemer akkoord",
    "coach_afgewezen": "Afgewezen door jobcoach en deelnemer",
    "aannemer_akkoord": "Geaccepteerd door de organisatie",
    "aannemer_afgewezen": "Afgewezen door de organisatie",
    "geplaatst": "Gestart",
    "ingeschreven": "Ingeschreven",
    "ingetrokken": "Vervallen",
}
PROPOSAL_REASONS = {
    "past_niet": "Past niet bij de deelnemer",
    "geen_interesse": "Deelnemer heeft geen interesse",
    "reistijd": "Reistijd is te lang",
    "uren": "Uren passen niet",
    "andere_plaatsing": "Deelnemer heeft al iets anders",
    "persoonlijke_situatie": "Persoonlijke situatie",
    "plek_vergeven": "De plek is al vergeven",
    "eisen_niet_gehaald": "Voldoet niet aan de eisen",
    "planning": "Past niet in de planning",
    "past_niet_in_team": "Past niet in het team",
    "anders": "Andere reden",
    "toestemming_ingetrokken": "Toestemming ingetrokken",
    "nieuwe_ronde": "Niet meer voorgesteld in een nieuwe ronde",
    "plek_gesloten": "De plek is gesloten",
    "gestopt": "Gestopt met het programma",
    "gewist": "Gegevens gewist",
}
PLACEMENT_STATUS = {"afgesproken": "Afgesproken", "gestart": "Gestart"}
OPENING_KINDS = {"task": "Instaptaak", "training": "Opleiding"}
AGE_BANDS = {
    "15-25": "15 tot 25 jaar",
    "25-45": "25 tot 45 jaar",
    "45-65": "45 tot 65 jaar",
    "65+": "65 jaar of ouder",
    "onbekend": "Onbekend",
}
AUDIT_ACTIONS = {
    "create": "Ingeschreven",
    "view": "Gegevens bekeken",
    "view_edit": "Formulier met gegevens geopend",
    "view_consent": "Toestemmingen bekeken",
    "view_notes": "Notities bekeken",
    "view_stages": "Fases bekeken",
    "list": "In een lijst getoond",
    "update": "Gegevens gewijzigd",
    "stage": "Fase gewijzigd",
    "note_added": "Notitie toegevoegd",
    "consent_given": "Toestemming vastgelegd",
    "consent_withdrawn": "Toestemming ingetrokken",
    "reassign": "Andere jobcoach gekregen",
    "export": "Overzicht van alle gegevens gemaakt",
    "erase": "Gegevens gewist",
    "introduction_granted": "Naam en contactgegevens vrijgegeven aan een organisatie",
    "introduction_view": "Naam en contactgegevens bekeken door een organisatie",
}
CHANNELS = {"page": "Website", "api": "Koppeling (API)", "cli": "Beheeropdracht", "job": "Automatisch"}
ROLES = {
    "jobcoach": "Jobcoach",
    "beheerder": "Beheerder",
    "aannemer": "Aannemer",
    "opleider": "Opleider",
    "programmabureau": "Programmabureau",
    "systeem": "Instap (automatisch)",
}
SHARED_ITEMS = {"naam": "Naam", "telefoon": "Telefoonnummer", "e-mail": "E-mailadres"}


# Every reason a stage change can carry: drop-out reasons and the steps the programme takes itself.
STAGE_REASONS = {
    **DROPOUT_REASONS,
    reference.SKIPPED_REASON: "Overgeslagen",
    "plaatsing_gestart": "Start bij een aannemer bevestigd",
    "werkt_na_6_maanden": "Werkt nog na 6 maanden",
}


class Labels(ReferenceLabels):
    """What templates see as `labels`: code → Dutch label per list (reference data read live)."""

    stages = STAGES
    reasons = DROPOUT_REASONS
    stage_reasons = STAGE_REASONS
    purposes = CONSENT_PURPOSES
    methods = CONSENT_METHODS
    genders = GENDERS
    income = INCOME
    barriers = BARRIERS
    days = DAYS
    ladder = reference.PARTICIPATIELADDER
    event_types = EVENT_TYPES
    proposal_status = PROPOSAL_STATUS
    proposal_reasons = PROPOSAL_REASONS
    placement_status = PLACEMENT_STATUS
    opening_kinds = OPENING_KINDS
    age_bands = AGE_BANDS
    audit_actions = AUDIT_ACTIONS
    channels = CHANNELS
    roles = ROLES
    shared_items = SHARED_ITEMS


LABELS = Labels()
