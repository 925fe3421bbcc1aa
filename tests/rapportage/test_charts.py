"""The SVG bar chart: a long label is cut with an ellipsis and keeps its full text as a tooltip."""

from __future__ import annotations

from services.rapportage.exports.charts import LABEL_CHARS, bar_chart

LONG = "Installatiebedrijf Dordrecht en omstreken (demo)"


def _document(contractors: dict[str, int]) -> dict:
    return {
        "title": "Plaatsingen",
        "dimensions": ["contractor"],
        "additive": ["contractor"],
        "categories": {"contractor": list(contractors)},
        "cells": [
            {"key": {"contractor": code}, "value": value, "status": "shown"}
            for code, value in contractors.items()
        ],
    }


def test_long_labels_end_in_an_ellipsis_with_the_full_text_as_tooltip() -> None:
    svg = bar_chart(_document({"1": 12, "2": 7}), "c1", names={"1": LONG, "2": "Kort BV"})
    cut = LONG[: LABEL_CHARS - 1].rstrip() + "…"
    assert f"<title>{LONG}</title>{cut}</text>" in svg
    assert ">Kort BV</text>" in svg and "<title>Kort BV</title>" not in svg
    assert LONG[:LABEL_CHARS] + "<" not in svg  # never cut without a mark
