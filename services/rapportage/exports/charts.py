"""Server-rendered SVG bar charts (no script, no CDN); every chart has a table beside it.

A chart shows the totals of a document along one dimension: the steps of a funnel-like report,
or the categories of its first breakdown. A hidden cell gets no bar and the mark '.', exactly as
in the table.
"""

from __future__ import annotations

from html import escape
from typing import Any

from services.rapportage.exports import labels

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 190
BAR_AREA = 150
VALUE_WIDTH = 60
WIDTH = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH


def series(
    document: dict[str, Any], names: dict[str, str] | None = None
) -> tuple[str, list[tuple[str, int | None, str]]]:
    """(dimension, [(label, value or None, status)]) for the chart of this document: along the
    steps (or moves) when the report has them, else along the first breakdown."""
    dims = document["dimensions"]
    additive = set(document["additive"])
    along = dims[-1] if dims[-1] in STEP_DIMS else dims[0]
    wanted = {d: ("*" if d in additive else _pick(document, d)) for d in dims if d != along}
    cells = {
        cell["key"][along]: cell
        for cell in document["cells"]
        if all(cell["key"][d] == label for d, label in wanted.items())
    }
    bars = []
    for code in document["categories"][along]:
        cell = cells.get(code)
        if cell is not None:
            bars.append((labels.category(along, code, names), cell["value"], cell["status"]))
    return along, bars


STEP_DIMS = ("stage", "step", "move")


def _pick(document: dict[str, Any], dim: str) -> str:
    """For a non-additive dimension the chart does not run along: the category it shows
    (outreach: residents reached; otherwise the first)."""
    cats = document["categories"][dim]
    return cats[-1] if dim == "measure" else cats[0]


LABEL_CHARS = 28  # what fits left of the bars at 13 px


def bar_chart(document: dict[str, Any], chart_id: str, names: dict[str, str] | None = None) -> str:
    along, bars = series(document, names)
    top = max((v for _, v, s in bars if v is not None and s != "suppressed"), default=0) or 1
    height = len(bars) * (BAR_HEIGHT + GAP) + GAP
    title = f"{document['title']}: {labels.dimension(along).lower()}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" aria-labelledby="{chart_id}-t {chart_id}-d">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">Staafdiagram; de tabel eronder heeft dezelfde getallen. '
        f"Een punt betekent: niet getoond.</desc>",
    ]
    for i, (label, value, status) in enumerate(bars):
        y = GAP + i * (BAR_HEIGHT + GAP)
        text = (
            labels.SUPPRESSED_MARK
            if status == "suppressed" or value is None
            else f"{value:,}".replace(",", ".")
        )
        width = 0 if value is None else max(1, round(BAR_AREA * value / top)) if value else 0
        # A label cut short ends in an ellipsis and keeps its full text as a tooltip.
        short = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"
        tooltip = f"<title>{escape(label)}</title>" if short != label else ""
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT * 0.7:.1f}" text-anchor="end" '
            f'font-size="13" fill="#1a1a1a">{tooltip}{escape(short)}</text>'
        )
        if width:
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR_HEIGHT}" '
                'fill="#1f5f8b" rx="2"/>'
            )
        parts.append(
            f'<text x="{LABEL_WIDTH + width + 6}" y="{y + BAR_HEIGHT * 0.7:.1f}" font-size="13" '
            f'fill="#1a1a1a">{escape(("±" if status == "rounded" else "") + text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
