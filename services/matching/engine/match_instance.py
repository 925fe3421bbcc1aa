"""Kind 2 input (`instap.match/1`): residents and openings parsed into column arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .validation import (
    Vocabulary,
    as_bool,
    as_date,
    as_int,
    as_level,
    as_list,
    as_number,
    as_object,
    as_str,
    check_keys,
    code_list,
    encode_sets,
    fail,
    unique_ids,
)

MATCH_FORMAT = "instap.match/1"

# Yes/no requirements of an opening, one bit each; the resident's "yes" answers use the same bits.
FLAG_RULES = (
    ("driving_licence", "rijbewijs"),
    ("work_at_height", "werken_op_hoogte"),
    ("heavy_work", "zwaar_werk"),
)
# Certificate day numbers: not held sorts below every date, "no end date" above every date.
NOT_HELD = np.iinfo(np.int64).min
NO_EXPIRY = np.iinfo(np.int64).max

_RESIDENT_REQUIRED = {"id", "language", "hours_per_week", "available_from"}
_RESIDENT_OPTIONAL = {
    "wijk",
    "certificates",
    "driving_licence",
    "interests",
    "skills",
    "work_at_height",
    "heavy_work",
}
_TASK_REQUIRED = {"id", "kind", "occupation", "capacity", "start_date", "hours_per_week"}
_TASK_OPTIONAL = {"wijk", "skills", "requires"}
_TRAINING_REQUIRED = {"id", "kind", "occupation", "capacity", "start_date", "weeks"}
_TRAINING_OPTIONAL = {"wijk", "grants", "requires"}
_REQUIRES_OPTIONAL = {
    "certificates",
    "language_spoken",
    "language_written",
    "driving_licence",
    "work_at_height",
    "heavy_work",
}


@dataclass(frozen=True)
class Residents:
    """One row per resident; `cert_until[r, c]` is the last valid day of certificate c."""

    ids: list[str]
    wijk: npt.NDArray[np.int64]
    spoken: npt.NDArray[np.int64]
    written: npt.NDArray[np.int64]
    flags: npt.NDArray[np.uint8]
    hours: npt.NDArray[np.float64]
    available_from: npt.NDArray[np.int64]
    cert_until: npt.NDArray[np.int64]
    interests: npt.NDArray[np.uint64]
    skills: npt.NDArray[np.uint64]


@dataclass(frozen=True)
class Openings:
    """One row per task or training; `end` is the day after a training's last day."""

    ids: list[str]
    is_training: npt.NDArray[np.bool_]
    capacity: npt.NDArray[np.int64]
    occupation: npt.NDArray[np.int64]
    wijk: npt.NDArray[np.int64]
    start: npt.NDArray[np.int64]
    end: npt.NDArray[np.int64]
    min_hours: npt.NDArray[np.float64]
    req_spoken: npt.NDArray[np.int64]
    req_written: npt.NDArray[np.int64]
    needs: npt.NDArray[np.uint8]
    req_certs: npt.NDArray[np.uint64]
    grants: npt.NDArray[np.uint64]
    skills: npt.NDArray[np.uint64]
    n_skills: npt.NDArray[np.int64]


@dataclass(frozen=True)
class MatchInstance:
    """A parsed kind 2 instance; code lists map bit numbers back to codes for explanations."""

    date: int
    residents: Residents
    openings: Openings
    cert_codes: list[str]
    wijk_codes: list[str]
    occupation_codes: list[str]


def _requires(value: Any, path: str, certs: Vocabulary) -> tuple[list[int], int, int, int]:
    req = as_object(value, path)
    check_keys(req, path, set(), _REQUIRES_OPTIONAL)
    codes = code_list(req.get("certificates", []), f"{path}.certificates", certs)
    spoken = as_level(req.get("language_spoken"), f"{path}.language_spoken", nullable=True)
    written = as_level(req.get("language_written"), f"{path}.language_written", nullable=True)
    needs = 0
    for bit, (key, _) in enumerate(FLAG_RULES):
        if as_bool(req.get(key, False), f"{path}.{key}"):
            needs |= 1 << bit
    return codes, spoken, written, needs


def _parse_residents(
    items: list[Any],
    certs: Vocabulary,
    wijken: Vocabulary,
    occupations: Vocabulary,
    skills: Vocabulary,
) -> tuple[Residents, list[dict[int, int]]]:
    n = len(items)
    ids: list[str] = []
    wijk = np.full(n, -1, dtype=np.int64)
    spoken = np.zeros(n, dtype=np.int64)
    written = np.zeros(n, dtype=np.int64)
    flags = np.zeros(n, dtype=np.uint8)
    hours = np.zeros(n, dtype=np.float64)
    available = np.zeros(n, dtype=np.int64)
    held: list[dict[int, int]] = []
    interest_sets: list[list[int]] = []
    skill_sets: list[list[int]] = []
    for r, item in enumerate(items):
        path = f"residents[{r}]"
        obj = as_object(item, path)
        check_keys(obj, path, _RESIDENT_REQUIRED, _RESIDENT_OPTIONAL)
        ids.append(as_str(obj["id"], f"{path}.id"))
        if obj.get("wijk") is not None:
            wijk[r] = wijken.add(as_str(obj["wijk"], f"{path}.wijk"))
        lang = as_object(obj["language"], f"{path}.language")
        check_keys(lang, f"{path}.language", {"spoken", "written"}, set())
        spoken[r] = as_level(lang["spoken"], f"{path}.language.spoken", nullable=False)
        written[r] = as_level(lang["written"], f"{path}.language.written", nullable=False)
        for bit, (key, _) in enumerate(FLAG_RULES):
            if as_bool(obj.get(key, False), f"{path}.{key}"):
                flags[r] |= 1 << bit
        hours[r] = as_number(obj["hours_per_week"], f"{path}.hours_per_week")
        available[r] = as_date(obj["available_from"], f"{path}.available_from")
        until: dict[int, int] = {}
        for i, cert in enumerate(as_list(obj.get("certificates", []), f"{path}.certificates")):
            cpath = f"{path}.certificates[{i}]"
            cobj = as_object(cert, cpath)
            check_keys(cobj, cpath, {"code"}, {"valid_until"})
            code = certs.add(as_str(cobj["code"], f"{cpath}.code"))
            raw = cobj.get("valid_until")
            last = NO_EXPIRY if raw is None else as_date(raw, f"{cpath}.valid_until")
            until[code] = max(until.get(code, NOT_HELD), int(last))
        held.append(until)
        interest_sets.append(code_list(obj.get("interests", []), f"{path}.interests", occupations))
        skill_sets.append(code_list(obj.get("skills", []), f"{path}.skills", skills))
    unique_ids(ids, "residents")
    residents = Residents(
        ids=ids,
        wijk=wijk,
        spoken=spoken,
        written=written,
        flags=flags,
        hours=hours,
        available_from=available,
        cert_until=np.empty((n, 0), dtype=np.int64),
        interests=encode_sets(interest_sets, occupations.words),
        skills=encode_sets(skill_sets, skills.words),
    )
    return residents, held


def _parse_openings(
    items: list[Any],
    certs: Vocabulary,
    wijken: Vocabulary,
    occupations: Vocabulary,
    skills: Vocabulary,
) -> tuple[dict[str, Any], list[list[int]], list[list[int]], list[list[int]]]:
    n = len(items)
    cols: dict[str, Any] = {
        "ids": [],
        "is_training": np.zeros(n, dtype=np.bool_),
        "capacity": np.zeros(n, dtype=np.int64),
        "occupation": np.zeros(n, dtype=np.int64),
        "wijk": np.full(n, -1, dtype=np.int64),
        "start": np.zeros(n, dtype=np.int64),
        "end": np.zeros(n, dtype=np.int64),
        "min_hours": np.zeros(n, dtype=np.float64),
        "req_spoken": np.full(n, -1, dtype=np.int64),
        "req_written": np.full(n, -1, dtype=np.int64),
        "needs": np.zeros(n, dtype=np.uint8),
    }
    req_sets: list[list[int]] = []
    grant_sets: list[list[int]] = []
    skill_sets: list[list[int]] = []
    for o, item in enumerate(items):
        path = f"openings[{o}]"
        obj = as_object(item, path)
        kind = obj.get("kind")
        if kind == "task":
            check_keys(obj, path, _TASK_REQUIRED, _TASK_OPTIONAL)
        elif kind == "training":
            check_keys(obj, path, _TRAINING_REQUIRED, _TRAINING_OPTIONAL)
        else:
            fail(f"{path}.kind", f'expected "task" or "training", got {kind!r}')
        cols["ids"].append(as_str(obj["id"], f"{path}.id"))
        cols["capacity"][o] = as_int(obj["capacity"], f"{path}.capacity")
        cols["occupation"][o] = occupations.add(as_str(obj["occupation"], f"{path}.occupation"))
        if obj.get("wijk") is not None:
            cols["wijk"][o] = wijken.add(as_str(obj["wijk"], f"{path}.wijk"))
        start = as_date(obj["start_date"], f"{path}.start_date")
        cols["start"][o] = start
        codes, spoken, written, needs = _requires(obj.get("requires", {}), f"{path}.requires", certs)
        cols["req_spoken"][o], cols["req_written"][o], cols["needs"][o] = spoken, written, needs
        req_sets.append(codes)
        if kind == "task":
            cols["end"][o] = start
            cols["min_hours"][o] = as_number(obj["hours_per_week"], f"{path}.hours_per_week")
            skill_sets.append(code_list(obj.get("skills", []), f"{path}.skills", skills))
            grant_sets.append([])
        else:
            cols["is_training"][o] = True
            cols["end"][o] = start + 7 * as_int(obj["weeks"], f"{path}.weeks", minimum=1)
            grant_sets.append(code_list(obj.get("grants", []), f"{path}.grants", certs))
            # A training asks no skills: the skills criterion then counts as fully met.
            skill_sets.append([])
    unique_ids(cols["ids"], "openings")
    return cols, req_sets, grant_sets, skill_sets


def parse_match(obj: dict[str, Any]) -> MatchInstance:
    """Validate a kind 2 instance; raises InstanceError naming the first bad field."""
    check_keys(obj, "", {"format", "date", "residents", "openings"}, set())
    run_date = as_date(obj["date"], "date")
    certs, wijken, occupations, skills = Vocabulary(), Vocabulary(), Vocabulary(), Vocabulary()
    residents, held = _parse_residents(
        as_list(obj["residents"], "residents"), certs, wijken, occupations, skills
    )
    cols, req_sets, grant_sets, skill_sets = _parse_openings(
        as_list(obj["openings"], "openings"), certs, wijken, occupations, skills
    )
    # Vocabularies are complete only now, so bit widths are fixed after both lists are read.
    cert_until = np.full((len(held), max(1, len(certs.index))), NOT_HELD, dtype=np.int64)
    for r, until in enumerate(held):
        for code, last in until.items():
            cert_until[r, code] = last
    residents = Residents(
        **{
            **residents.__dict__,
            "cert_until": cert_until,
            "interests": _widen(residents.interests, occupations.words),
            "skills": _widen(residents.skills, skills.words),
        }
    )
    task_skills = encode_sets(skill_sets, skills.words)
    openings = Openings(
        **cols,
        req_certs=encode_sets(req_sets, certs.words),
        grants=encode_sets(grant_sets, certs.words),
        skills=task_skills,
        n_skills=np.array([len(set(s)) for s in skill_sets], dtype=np.int64),
    )
    return MatchInstance(
        date=run_date,
        residents=residents,
        openings=openings,
        cert_codes=certs.codes,
        wijk_codes=wijken.codes,
        occupation_codes=occupations.codes,
    )


def _widen(bits: npt.NDArray[np.uint64], words: int) -> npt.NDArray[np.uint64]:
    """Residents were encoded before openings added codes; pad their bit rows to the final width."""
    if bits.shape[1] == words:
        return bits
    out = np.zeros((bits.shape[0], words), dtype=np.uint64)
    out[:, : bits.shape[1]] = bits
    return out
