"""One vocabulary for the states of the suite: an enum and one transition table per thing.

Domain code asks the table (`check`, `allowed`), events and schemas validate against the enum's
values, pages read the enum for their groups and labels. The values are the codes stored in the
databases and sent in events (domain.md), so an enum member compares equal to its stored string.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Generic, TypeVar

from shared.errors import Conflict

S = TypeVar("S", bound=StrEnum)


class WrongState(Conflict):
    """A step the transition table does not allow (409, code `wrong_state`)."""

    code = "wrong_state"


class StateMachine(Generic[S]):
    """The states of one thing and the steps allowed between them."""

    def __init__(self, name: str, states: type[S], transitions: Mapping[S, Iterable[S]]) -> None:
        missing = set(states) - set(transitions)
        assert not missing, f"{name}: no row in the transition table for {sorted(missing)}"
        self.name = name
        self.states = states
        self.transitions: dict[S, tuple[S, ...]] = {s: tuple(t) for s, t in transitions.items()}

    @property
    def values(self) -> tuple[str, ...]:
        """The stored codes, in declaration order (for schemas' OneOf and events)."""
        return tuple(s.value for s in self.states)

    def allowed(self, current: str) -> tuple[S, ...]:
        """The states reachable in one step from `current` (none for an unknown state)."""
        try:
            return self.transitions[self.states(current)]
        except ValueError:
            return ()

    def can(self, current: str, target: str) -> bool:
        return target in self.allowed(current)

    def check(self, current: str, target: str, message: str | None = None) -> S:
        """The target as a member, or WrongState (409) when the table forbids the step."""
        if not self.can(current, target):
            raise WrongState(message or f"Van {current} naar {target} kan niet ({self.name}).")
        return self.states(target)

    def terminal(self) -> tuple[S, ...]:
        return tuple(s for s, nxt in self.transitions.items() if not nxt)


# --- funnel stage of a resident (intake) ------------------------------------------------------


class Stage(StrEnum):
    AANGEMELD = "aangemeld"
    INTAKE = "intake"
    ORIENTATIE = "orientatie"
    OPLEIDING = "opleiding"
    GECERTIFICEERD = "gecertificeerd"
    GEPLAATST = "geplaatst"
    DUURZAAM = "duurzaam"
    UITGEVALLEN = "uitgevallen"
    GESTOPT = "gestopt"


# Allowed funnel steps (domain.md), as practice takes them: forward along the funnel, also past
# stages a resident did not need (someone with VCA and experience starts work straight after the
# intake); the stages in between are then recorded as skipped (reference.SKIPPED_REASON), so the
# history and the reports still read the funnel in order. A step back is allowed where practice
# needs it (a placement that ends before +6 months). `duurzaam` only follows `geplaatst`: it
# means still working six months after a start (issue 9).
_EXITS = (Stage.UITGEVALLEN, Stage.GESTOPT)
FUNNEL = StateMachine(
    "fase",
    Stage,
    {
        Stage.AANGEMELD: (Stage.INTAKE, *_EXITS),
        Stage.INTAKE: (Stage.ORIENTATIE, Stage.OPLEIDING, Stage.GECERTIFICEERD, Stage.GEPLAATST, *_EXITS),
        Stage.ORIENTATIE: (Stage.OPLEIDING, Stage.GECERTIFICEERD, Stage.GEPLAATST, Stage.INTAKE, *_EXITS),
        Stage.OPLEIDING: (Stage.GECERTIFICEERD, Stage.GEPLAATST, Stage.ORIENTATIE, *_EXITS),
        Stage.GECERTIFICEERD: (Stage.GEPLAATST, Stage.OPLEIDING, *_EXITS),
        Stage.GEPLAATST: (Stage.DUURZAAM, Stage.GECERTIFICEERD, Stage.OPLEIDING, Stage.INTAKE, *_EXITS),
        Stage.DUURZAAM: (Stage.GESTOPT,),
        Stage.UITGEVALLEN: (Stage.AANGEMELD, Stage.INTAKE),
        Stage.GESTOPT: (Stage.AANGEMELD,),
    },
)
# The funnel in order (reports count "reached stage s or later" along it) and its side exits.
FUNNEL_ORDER = tuple(Stage)[:7]
EXIT_STAGES = _EXITS


# --- proposal (matching) ----------------------------------------------------------------------


class ProposalStatus(StrEnum):
    VOORGESTELD = "voorgesteld"
    COACH_AKKOORD = "coach_akkoord"
    COACH_AFGEWEZEN = "coach_afgewezen"
    AANNEMER_AKKOORD = "aannemer_akkoord"  # the organisation (contractor or trainer) accepted
    AANNEMER_AFGEWEZEN = "aannemer_afgewezen"
    GEPLAATST = "geplaatst"  # started on a task
    INGESCHREVEN = "ingeschreven"  # enrolled on a training slot
    INGETROKKEN = "ingetrokken"  # withdrawn: consent, a closed opening, or a newer run


PROPOSAL = StateMachine(
    "voorstel",
    ProposalStatus,
    {
        ProposalStatus.VOORGESTELD: (
            ProposalStatus.COACH_AKKOORD,
            ProposalStatus.COACH_AFGEWEZEN,
            ProposalStatus.INGETROKKEN,
        ),
        ProposalStatus.COACH_AKKOORD: (
            ProposalStatus.AANNEMER_AKKOORD,
            ProposalStatus.AANNEMER_AFGEWEZEN,
            ProposalStatus.INGETROKKEN,
        ),
        # Withdrawn consent (or erasure) ends an accepted proposal that has not started (issue 7);
        # ingetrokken is also an agreed placement called off before its start (issue 9).
        ProposalStatus.AANNEMER_AKKOORD: (
            ProposalStatus.GEPLAATST,
            ProposalStatus.INGESCHREVEN,
            ProposalStatus.INGETROKKEN,
        ),
        ProposalStatus.COACH_AFGEWEZEN: (),
        ProposalStatus.AANNEMER_AFGEWEZEN: (),
        ProposalStatus.GEPLAATST: (),
        ProposalStatus.INGESCHREVEN: (),
        # A later run may propose the same pair again.
        ProposalStatus.INGETROKKEN: (ProposalStatus.VOORGESTELD,),
    },
)
# Still open: a run, a closed opening or a withdrawn consent may withdraw these.
OPEN_PROPOSALS = (ProposalStatus.VOORGESTELD, ProposalStatus.COACH_AKKOORD)
# Waiting on the organisation after the coach said yes (one per resident at a time).
RUNNING_PROPOSALS = (ProposalStatus.COACH_AKKOORD, ProposalStatus.AANNEMER_AKKOORD)
# What an organisation sees of proposals on its own openings.
ORGANISATION_SEES = (
    ProposalStatus.COACH_AKKOORD,
    ProposalStatus.AANNEMER_AKKOORD,
    ProposalStatus.AANNEMER_AFGEWEZEN,
    ProposalStatus.GEPLAATST,
    ProposalStatus.INGESCHREVEN,
)


# --- match run (matching) ---------------------------------------------------------------------


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


RUN = StateMachine(
    "ronde",
    RunStatus,
    {
        RunStatus.QUEUED: (RunStatus.RUNNING,),
        # A failed attempt or a stuck run goes back to the queue until MAX_ATTEMPTS.
        RunStatus.RUNNING: (RunStatus.DONE, RunStatus.QUEUED, RunStatus.FAILED),
        RunStatus.DONE: (),
        RunStatus.FAILED: (),
    },
)


# --- entry task and training slot (matching): one vocabulary, one table -------------------------


class OpeningStatus(StrEnum):
    OPEN = "open"
    GESLOTEN = "gesloten"


OPENING = StateMachine(
    "plek", OpeningStatus, {OpeningStatus.OPEN: (OpeningStatus.GESLOTEN,), OpeningStatus.GESLOTEN: ()}
)
TASK = OPENING
SLOT = OPENING


# --- placement in an entry job (matching, issue 9) ----------------------------------------------


class PlacementStatus(StrEnum):
    AFGESPROKEN = "afgesproken"  # both sides accepted; terms may still change
    GESTART = "gestart"  # the contractor confirmed the first working day
    BEEINDIGD = "beeindigd"  # ended on a date with a reason
    GEANNULEERD = "geannuleerd"  # called off before the start


PLACEMENT = StateMachine(
    "plaatsing",
    PlacementStatus,
    {
        PlacementStatus.AFGESPROKEN: (PlacementStatus.GESTART, PlacementStatus.GEANNULEERD),
        PlacementStatus.GESTART: (PlacementStatus.BEEINDIGD,),
        PlacementStatus.BEEINDIGD: (),
        PlacementStatus.GEANNULEERD: (),
    },
)
