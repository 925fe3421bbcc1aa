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
    "gezondheid_prive": "Gezondheid of privé",
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


LABELS = Labels()
