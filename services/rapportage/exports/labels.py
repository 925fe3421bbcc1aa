"""Dutch labels (B1) for the codes in report documents."""

from __future__ import annotations

from shared import reference

DIMENSIONS = {
    "wijk": "Wijk",
    "gender": "Gender",
    "age_band": "Leeftijd",
    "stage": "Fase",
    "step": "Stap",
    "move": "Beweging",
    "measure": "Wat",
    "maand": "Periode",
    "contractor": "Aannemer",
    "corporation": "Woningcorporatie",
    "project": "Project",
    "occupation": "Beroep",
    "contract_type": "Soort contract",
    "sroi_tag": "SROI",
    "training": "Opleiding",
    "crebo": "Crebo",
    "kind": "Soort certificaat",
}
CATEGORIES: dict[str, dict[str, str]] = {
    "gender": {"man": "Man", "vrouw": "Vrouw", "anders": "Anders", "onbekend": "Onbekend"},
    "age_band": {
        "15-25": "15 tot 25",
        "25-45": "25 tot 45",
        "45-65": "45 tot 65",
        "65+": "65 en ouder",
        "onbekend": "Onbekend",
    },
    "stage": {
        "aangemeld": "Aangemeld",
        "intake": "Intake gedaan",
        "orientatie": "Oriëntatie",
        "opleiding": "Opleiding",
        "gecertificeerd": "Certificaat gehaald",
        "geplaatst": "Aan het werk",
        "duurzaam": "Na 6 maanden nog aan het werk",
    },
    "step": {
        "aangemeld": "Aangemeld",
        "voorgesteld": "Kreeg een voorstel",
        "naar_aannemer": "Voorgesteld aan de aannemer",
        "aannemer_akkoord": "Aannemer zei ja",
        "geplaatst": "Begon aan een instapbaan",
        "gestart": "Begonnen",
        "na_6_maanden": "Na 6 maanden nog aan het werk",
        "na_6_en_12_maanden": "Na 6 én 12 maanden nog aan het werk",
    },
    "move": {
        "lager": "Lager",
        "gelijk": "Gelijk",
        "een_hoger": "1 trede hoger",
        "twee_of_meer_hoger": "2 of meer treden hoger",
    },
    "measure": {"activiteiten": "Activiteiten", "bereikt": "Bereikte bewoners"},
    "contract_type": {
        "bbl": "BBL",
        "bepaalde_tijd": "Bepaalde tijd",
        "onbepaalde_tijd": "Onbepaalde tijd",
        "uitzend": "Uitzendwerk",
        "proefplaatsing": "Proefplaatsing",
    },
}
STATUS = {"shown": "getoond", "suppressed": "niet getoond", "rounded": "afgerond"}
SUPPRESSED_MARK = "."
BREAKDOWN_CHOICES = {
    "wijk": "per wijk",
    "gender": "per gender",
    "age_band": "per leeftijd",
    "contractor": "per aannemer",
    "corporation": "per woningcorporatie",
    "project": "per project",
    "occupation": "per beroep",
    "contract_type": "per soort contract",
    "sroi_tag": "per SROI-label",
    "training": "per opleiding",
    "crebo": "per crebo",
    "kind": "per soort certificaat",
    "maand": "per periode",
}


def dimension(name: str) -> str:
    return DIMENSIONS.get(name, name)


def category(dim: str, code: str, names: dict[str, str] | None = None) -> str:
    if code == "*":
        return "Totaal"
    if dim == "wijk":
        return reference.names("wijken").get(code, code)
    if dim == "occupation":
        return reference.names("occupations").get(code, code)
    if dim == "kind":
        return reference.names("certificates").get(code, code)
    if dim == "contractor" and names:
        return names.get(code, f"Organisatie {code}")
    return CATEGORIES.get(dim, {}).get(code, code)
