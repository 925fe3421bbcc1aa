"""Pure matching engine: feasibility, scoring, optimal assignment and training pathways."""

from .api import Arcs, match, match_arcs, run, solve, solve_pairs, why_not
from .assign import SCORE_UNITS, greedy, score_units, solve_flow
from .feasibility import failing_rules, feasible_pairs
from .instance import PAIRS_FORMAT, PairsInstance, load_instance, parse_instance, parse_pairs
from .match_instance import MATCH_FORMAT, MatchInstance, parse_match
from .result import RESULT_FORMAT, Assignment, Result
from .scoring import CRITERIA, Proximity, Weights
from .validation import LEVELS, InstanceError

__all__ = [
    "CRITERIA",
    "LEVELS",
    "MATCH_FORMAT",
    "PAIRS_FORMAT",
    "RESULT_FORMAT",
    "SCORE_UNITS",
    "Arcs",
    "Assignment",
    "InstanceError",
    "MatchInstance",
    "PairsInstance",
    "Proximity",
    "Result",
    "Weights",
    "failing_rules",
    "feasible_pairs",
    "greedy",
    "load_instance",
    "match",
    "match_arcs",
    "parse_instance",
    "parse_match",
    "parse_pairs",
    "run",
    "score_units",
    "solve",
    "solve_flow",
    "solve_pairs",
    "why_not",
]
