"""The command line as planners use it: files in, JSON out, one-line errors with exit 2."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from services.matching.engine.cli import main

from .test_match import CONTRACT_EXAMPLE as MATCH_EXAMPLE
from .test_pairs import CONTRACT_EXAMPLE as PAIRS_EXAMPLE

ROOT = Path(__file__).resolve().parents[3]


def _run(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.matching.engine", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_pairs_file_to_output_file(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.json", tmp_path / "out.json"
    src.write_text(json.dumps(PAIRS_EXAMPLE))
    proc = _run(["solve", str(src), "-o", str(dst)])
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    result = json.loads(dst.read_text())
    assert result["format"] == "instap.result/1"
    assert (result["assigned"], result["total_score"]) == (3, 2.15)
    assert set(result["seconds"]) == {"read", "score", "solve"}


def test_match_from_stdin_to_stdout() -> None:
    proc = _run(["solve", "-"], stdin=json.dumps(MATCH_EXAMPLE))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    [assignment] = result["assignments"]
    assert assignment["opening"] == "t0"
    assert set(assignment["explanation"]) == {"skills", "distance", "interest", "language"}


def _pairs(**changes: Any) -> dict[str, Any]:
    obj = copy.deepcopy(PAIRS_EXAMPLE)
    for key, value in changes.items():
        obj["pairs"][key] = value
    return obj


def _match_with(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    obj = copy.deepcopy(MATCH_EXAMPLE)
    target = obj
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return obj


BAD_INPUTS = [
    ("not json", "{ this is not json", "input: not valid JSON"),
    ("wrong format", json.dumps({**PAIRS_EXAMPLE, "format": "instap.pairs/9"}), "format:"),
    (
        "missing field",
        json.dumps(_match_with(("residents", 0, "hours_per_week"), KeyError)),
        "residents[0].hours_per_week: missing",
    ),
    (
        "missing pairs field",
        json.dumps({k: v for k, v in PAIRS_EXAMPLE.items() if k != "pairs"}),
        "pairs: missing",
    ),
    ("score above 1", json.dumps(_pairs(score=[0.9, 0.4, 1.5, 0.55])), "pairs.score[2]:"),
    ("score zero", json.dumps(_pairs(score=[0.9, 0.0, 0.7, 0.55])), "pairs.score[1]:"),
    (
        "index out of range",
        json.dumps(_pairs(opening=[0, 1, 0, 7])),
        "pairs.opening[3]: index 7 out of range",
    ),
    ("negative index", json.dumps(_pairs(resident=[0, -1, 1, 2])), "pairs.resident[1]:"),
    ("boolean index", json.dumps(_pairs(resident=[0, True, 1, 2])), "pairs.resident[1]:"),
    ("short column", json.dumps(_pairs(score=[0.9])), "pairs.score:"),
    (
        "duplicate pair",
        json.dumps(_pairs(resident=[0, 0, 0, 2], opening=[0, 1, 0, 1])),
        "pairs.resident[2]:",
    ),
    (
        "unknown language level",
        json.dumps(_match_with(("residents", 0, "language", "spoken"), "B3")),
        "residents[0].language.spoken: unknown language level",
    ),
    (
        "bad date",
        json.dumps(_match_with(("openings", 1, "start_date"), "2027-02-30")),
        "openings[1].start_date:",
    ),
    ("date not iso", json.dumps(_match_with(("date",), "1-3-2027")), "date:"),
    (
        "unknown requirement",
        json.dumps(_match_with(("openings", 0, "requires", "work_at_hight"), True)),
        "openings[0].requires.work_at_hight: unknown field",
    ),
    (
        "negative capacity",
        json.dumps({**PAIRS_EXAMPLE, "openings": [{"id": "t0", "capacity": -1}]}),
        "openings[0].capacity:",
    ),
    ("top level list", "[1, 2]", "instance:"),
]


@pytest.mark.parametrize(("name", "text", "expected"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, expected: str
) -> None:
    """In this process: `main` is what `python -m services.matching.engine` exits with (the
    tests above and below run the real process); an exception would fail the test."""
    src = tmp_path / "bad.json"
    src.write_text(text)
    returncode = main(["solve", str(src)])
    out, err = capsys.readouterr()
    assert returncode == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert expected in lines[0]
    assert "Traceback" not in err


def test_missing_file_exits_2(tmp_path: Path) -> None:
    proc = _run(["solve", str(tmp_path / "nope.json")])
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1 and "input: cannot read" in proc.stderr
