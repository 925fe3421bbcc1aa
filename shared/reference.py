"""Code lists of the programme: fixed scales in code, changeable reference data from a file."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

from shared.states import EXIT_STAGES as _EXIT_STAGES
from shared.states import FUNNEL
from shared.states import FUNNEL_ORDER as _FUNNEL_ORDER

# Ordered scale (CEFR plus 'moedertaal'); order matters for "at least" comparisons.
LANGUAGE_LEVELS = ("pre_A1", "A1", "A2", "B1", "B2", "C1", "C2", "moedertaal")
# The funnel's vocabulary and transition table live in shared/states.py; these names stay for
# the code that reads them as plain tuples.
STAGES = FUNNEL.values
FUNNEL_ORDER = tuple(s.value for s in _FUNNEL_ORDER)
EXIT_STAGES = tuple(s.value for s in _EXIT_STAGES)
STAGE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    stage.value: tuple(s.value for s in steps) for stage, steps in FUNNEL.transitions.items()
}
# Reason code of a stage passed over by a forward jump (one history row per skipped stage).
SKIPPED_REASON = "overgeslagen"
# Reason codes of steps the programme takes itself, from another service's event.
SYSTEM_STAGE_REASONS = ("plaatsing_gestart", "werkt_na_6_maanden")


def skipped_stages(from_stage: str, to_stage: str) -> tuple[str, ...]:
    """The funnel stages strictly between two stages on a forward step; () otherwise."""
    if from_stage not in FUNNEL_ORDER or to_stage not in FUNNEL_ORDER:
        return ()
    start, stop = FUNNEL_ORDER.index(from_stage), FUNNEL_ORDER.index(to_stage)
    return FUNNEL_ORDER[start + 1 : stop] if stop > start + 1 else ()


DROPOUT_REASONS = (
    "persoonlijke_omstandigheden",  # was gezondheid_prive: no health data, not even a hint
    "werk_elders",
    "motivatie",
    "vervoer",
    "kinderopvang",
    "taal",
    "verhuisd",
    "onbekend",
)
CONSENT_PURPOSES = ("registratie", "delen_opleider", "delen_werkgever", "follow_up", "onderzoek")
CONSENT_METHODS = ("schriftelijk", "mondeling", "digitaal")
GENDERS = ("man", "vrouw", "anders", "onbekend")
INCOME_CODES = ("bijstand", "ww", "geen_uitkering", "anders")
# The one way a resident wants an organisation to contact them after an introduction.
CONTACT_CHANNELS = ("telefoon", "e-mail")
BARRIERS = ("kinderopvang", "vervoer", "taal", "schulden_signaal")
DAYS = ("ma", "di", "wo", "do", "vr", "za", "zo")
PARTICIPATIELADDER = {
    1: "Geïsoleerd",
    2: "Sociale contacten buitenshuis",
    3: "Deelname aan georganiseerde activiteiten",
    4: "Onbetaald werk",
    5: "Betaald werk met ondersteuning",
    6: "Betaald werk",
}

_DEFAULT_FILE = Path(__file__).parent / "refdata" / "reference.json"


@functools.cache
def data() -> dict[str, Any]:
    """The reference data file (INSTAP_REFERENCE_FILE overrides the bundled one)."""
    path = Path(os.environ.get("INSTAP_REFERENCE_FILE", _DEFAULT_FILE))
    return json.loads(path.read_text(encoding="utf-8"))


def codes(kind: str) -> tuple[str, ...]:
    return _codes(data(), kind)[0]


def is_code(kind: str, value: object) -> bool:
    """Whether `value` is one of the codes of that list (a set lookup: request validation asks
    this for every code field of every request)."""
    known = _codes(data(), kind)[1]
    try:
        return value in known
    except TypeError:  # unhashable: no code
        return False


# Per list: its codes in order and as a set, made once per reading of the file (`data`). The
# file's dict is the key, by identity: a new reading (cache_clear) makes new ones.
_CODES: dict[str, tuple[dict[str, Any], tuple[str, ...], frozenset[str]]] = {}


def _codes(loaded: dict[str, Any], kind: str) -> tuple[tuple[str, ...], frozenset[str]]:
    made = _CODES.get(kind)
    if made is None or made[0] is not loaded:
        in_order = tuple(item["code"] for item in loaded[kind])
        made = _CODES[kind] = (loaded, in_order, frozenset(in_order))
    return made[1], made[2]


def names(kind: str) -> dict[str, str]:
    return {item["code"]: item["name"] for item in data()[kind]}


def sector_of(occupation: str | None) -> str | None:
    """The sector code of an occupation (reference data: a new sector is a new line in the file)."""
    for item in data()["occupations"]:
        if item["code"] == occupation:
            return item.get("sector")
    return None


def age_band(birth_year: int, year: int) -> str:
    """CBS age band for someone born in birth_year, in the given year."""
    age = year - birth_year
    if age < 25:
        return "15-25"
    if age < 45:
        return "25-45"
    if age < 65:
        return "45-65"
    return "65+"


def language_rank(level: str | None) -> int:
    return -1 if level is None else LANGUAGE_LEVELS.index(level)


def postcode_wijk_problem(postcode: str | None, wijk: str | None) -> str | None:
    """Why a postcode and a wijk cannot both be right, or None. Reference data: the PC4 areas of
    Dordrecht (`dordrecht_pc4`) and which wijken lie in Dordrecht; a PC4 can span several wijken,
    so within Dordrecht the coach's choice of wijk stands."""
    pc4_list = data().get("dordrecht_pc4")
    if not postcode or not wijk or not pc4_list:
        return None
    pc4 = postcode.strip()[:4]
    in_dordrecht = pc4 in pc4_list
    wijken = {item["code"]: item for item in data()["wijken"]}
    chosen = wijken.get(wijk)
    if chosen is None:
        return None
    wijk_in_dordrecht = bool(chosen.get("dordt_west")) or wijk == "overig_dordrecht"
    if wijk_in_dordrecht and not in_dordrecht:
        return (
            f"Postcode {pc4} ligt niet in Dordrecht, maar {chosen['name']} wel. "
            "Controleer de postcode, of kies de wijk 'Buiten Dordrecht'."
        )
    if wijk == "buiten_dordrecht" and in_dordrecht:
        return f"Postcode {pc4} ligt in Dordrecht. Kies de wijk waar de deelnemer woont."
    return None
