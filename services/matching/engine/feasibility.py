"""Hard rules, vectorised over resident x opening blocks so 500M combinations fit in memory.

Every rule is written once as a function of broadcastable index expressions: the dense pass over a
block of residents and `failing_rules` for one pair use the same definition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .match_instance import FLAG_RULES, MatchInstance, Openings, Residents

Index = Any  # a slice-with-newaxis tuple or an integer array: whatever numpy indexing accepts
Rule = Callable[[Residents, Openings, Index, Index], npt.NDArray[np.bool_]]

# Pairs per block: 8 bytes each in the packed check, so ~4 MB blocks stay in the CPU cache.
BLOCK_PAIRS = 1 << 19


def _flag_rule(bit: int) -> Rule:
    mask = np.uint8(1 << bit)

    def rule(res: Residents, op: Openings, r: Index, o: Index) -> npt.NDArray[np.bool_]:
        # Needed only where the opening asks it, then only a resident's "yes" satisfies it.
        return ((op.needs[o] & mask) == 0) | ((res.flags[r] & mask) != 0)

    return rule


RULES: tuple[tuple[str, Rule], ...] = (
    ("taalniveau_spreken", lambda res, op, r, o: res.spoken[r] >= op.req_spoken[o]),
    ("taalniveau_schrijven", lambda res, op, r, o: res.written[r] >= op.req_written[o]),
    *((code, _flag_rule(bit)) for bit, (_, code) in enumerate(FLAG_RULES)),
    ("beschikbaarheid", lambda res, op, r, o: res.available_from[r] <= op.start[o]),
    # Trainings carry min_hours 0, so hours only bind on tasks.
    ("uren", lambda res, op, r, o: res.hours[r] >= op.min_hours[o]),
)


def missing_certificates(
    inst: MatchInstance, r: npt.NDArray[np.int64], o: npt.NDArray[np.int64]
) -> npt.NDArray[np.uint64]:
    """Bit rows of required certificates not held, or expired before the opening starts."""
    res, op = inst.residents, inst.openings
    missing = op.req_certs[o].copy()
    required = np.bitwise_or.reduce(op.req_certs, axis=0)
    for code in range(len(inst.cert_codes)):
        word, bit = divmod(code, 64)
        flag = np.uint64(1) << np.uint64(bit)
        if not required[word] & flag:
            continue
        valid = res.cert_until[r, code] >= op.start[o]
        missing[valid, word] &= ~flag
    return missing


@dataclass(frozen=True)
class Feasible:
    """Pairs passing every rule, and task pairs failing on certificates alone (pathway input)."""

    resident: npt.NDArray[np.int64]
    opening: npt.NDArray[np.int64]
    near_resident: npt.NDArray[np.int64]
    near_opening: npt.NDArray[np.int64]
    near_missing: npt.NDArray[np.uint64]


@dataclass(frozen=True)
class _Packed:
    """Every threshold rule packed into one uint64 per row (SWAR, "SIMD within a register").

    Each rule is a field "resident value >= required value" of width b with a guard bit above it.
    The resident word holds value + 2**b per field, the opening word the required value, so
    (resident - opening) keeps every guard bit set exactly when every field passes, with no borrow
    between fields. One subtraction, one AND and one compare per pair check all seven rules of
    RULES at once; the tests check this against RULES pair by pair.
    """

    resident: npt.NDArray[np.uint64]
    opening: npt.NDArray[np.uint64]
    guards: np.uint64


def _pack(res: Residents, op: Openings) -> _Packed | None:
    # Hours and dates become ranks in the union of both sides: same order, few bits.
    hours = np.unique(np.concatenate([res.hours, op.min_hours]))
    days = np.unique(np.concatenate([res.available_from, op.start]))
    last_day = len(days) - 1
    fields: list[tuple[int, npt.NDArray[np.int64], npt.NDArray[np.int64]]] = [
        (4, res.spoken + 1, op.req_spoken + 1),  # + 1: "no requirement" (-1) becomes 0
        (4, res.written + 1, op.req_written + 1),
        *(
            (1, ((res.flags >> bit) & 1).astype(np.int64), ((op.needs >> bit) & 1).astype(np.int64))
            for bit in range(len(FLAG_RULES))
        ),
        (
            max(1, int(len(hours)).bit_length()),
            np.searchsorted(hours, res.hours),
            np.searchsorted(hours, op.min_hours),
        ),
        # available_from <= start  <=>  (last - rank(available)) >= (last - rank(start))
        (
            max(1, int(len(days)).bit_length()),
            last_day - np.searchsorted(days, res.available_from),
            last_day - np.searchsorted(days, op.start),
        ),
    ]
    if sum(width + 1 for width, _, _ in fields) > 64:
        return None
    packed_res = np.zeros(len(res.ids), dtype=np.uint64)
    packed_op = np.zeros(len(op.ids), dtype=np.uint64)
    guards, shift = 0, 0
    for width, have, need in fields:
        guard = 1 << (shift + width)
        packed_res += (have.astype(np.uint64) << np.uint64(shift)) + np.uint64(guard)
        packed_op += need.astype(np.uint64) << np.uint64(shift)
        guards |= guard
        shift += width + 1
    return _Packed(packed_res, packed_op, np.uint64(guards))


def _rules_ok(
    res: Residents,
    op: Openings,
    packed: _Packed | None,
    lo: int,
    hi: int,
) -> npt.NDArray[np.bool_]:
    """Residents lo..hi x all openings: every rule of RULES holds (certificates aside)."""
    if packed is None:  # too many distinct hours and dates to pack: rule by rule
        ok = np.ones((hi - lo, len(op.ids)), dtype=np.bool_)
        for _, rule in RULES:
            ok &= rule(res, op, (slice(lo, hi), None), (None, slice(None)))
        return ok
    diff = packed.resident[lo:hi, None] - packed.opening[None, :]
    diff &= packed.guards
    return diff == packed.guards


def feasible_pairs(inst: MatchInstance, block_pairs: int = BLOCK_PAIRS) -> Feasible:
    """All feasible (resident, opening) pairs, scanning every combination block by block."""
    res, op = inst.residents, inst.openings
    n_res, n_op = len(res.ids), len(op.ids)
    rows = max(1, block_pairs // max(1, n_op))
    packed = _pack(res, op)
    # Certificates held (and valid) through every start date need no per-pair date check.
    last_start = int(op.start.max()) if n_op else 0
    always = np.zeros((n_res, op.req_certs.shape[1]), dtype=np.uint64)
    for code in range(len(inst.cert_codes)):
        word, bit = divmod(code, 64)
        always[res.cert_until[:, code] >= last_start, word] |= np.uint64(1) << np.uint64(bit)
    lacks = ~always
    cert_words = [w for w in range(op.req_certs.shape[1]) if op.req_certs[:, w].any()]
    fixable = _fixable_mask(op)
    want_near = bool(op.is_training.any() and fixable.any())
    out_r, out_o, near_r, near_o, near_m = [], [], [], [], []
    for lo in range(0, n_res, rows):
        hi = min(n_res, lo + rows)
        # Only the pairs passing the packed rules go on, sparse: typically a few percent.
        flat = np.flatnonzero(_rules_ok(res, op, packed, lo, hi))
        ri, oi = np.divmod(flat, n_op)
        ri += lo
        unsure = np.zeros(flat.size, dtype=np.bool_)
        for word in cert_words:
            unsure |= (op.req_certs[oi, word] & lacks[ri, word]) != 0
        out_r.append(ri[~unsure])
        out_o.append(oi[~unsure])
        if not cert_words:
            continue
        ui, uo = ri[unsure], oi[unsure]
        missing = missing_certificates(inst, ui, uo)
        none_missing = ~missing.any(axis=1)
        out_r.append(ui[none_missing])
        out_o.append(uo[none_missing])
        if want_near:
            # Keep only misses some training could mend: the rest can never become a pathway.
            near = ~none_missing & ~op.is_training[uo] & ~(missing & ~fixable).any(axis=1)
            near_r.append(ui[near])
            near_o.append(uo[near])
            near_m.append(missing[near])
    width = op.req_certs.shape[1]
    return Feasible(
        resident=_cat(out_r),
        opening=_cat(out_o),
        near_resident=_cat(near_r),
        near_opening=_cat(near_o),
        near_missing=np.concatenate(near_m) if near_m else np.zeros((0, width), dtype=np.uint64),
    )


def _fixable_mask(op: Openings) -> npt.NDArray[np.uint64]:
    """Certificates granted by at least one training."""
    if not op.is_training.any():
        return np.zeros(op.grants.shape[1], dtype=np.uint64)
    return np.bitwise_or.reduce(op.grants[op.is_training], axis=0)


def _cat(parts: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.int64]:
    if not parts:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate(parts).astype(np.int64, copy=False)


def failing_rules(inst: MatchInstance, resident: int, opening: int) -> list[str]:
    """Codes of the rules one pair breaks, e.g. `certificaat_ontbreekt:vca_basis`; [] = allowed."""
    r = np.array([resident], dtype=np.int64)
    o = np.array([opening], dtype=np.int64)
    missing = missing_certificates(inst, r, o)[0]
    codes = [
        f"certificaat_ontbreekt:{code}"
        for c, code in enumerate(inst.cert_codes)
        if int(missing[c // 64]) >> (c % 64) & 1
    ]
    codes += [code for code, rule in RULES if not bool(rule(inst.residents, inst.openings, r, o)[0])]
    return codes
