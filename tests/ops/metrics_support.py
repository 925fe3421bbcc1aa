"""Read Prometheus text exposition in tests."""

from __future__ import annotations

import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [(s.name, s.labels, s.value) for f in text_string_to_metric_families(text) for s in f.samples]


def value(text: str, name: str, **labels: str) -> float:
    """The sum of the samples called NAME whose labels include LABELS (0 when none)."""
    return sum(
        v for n, lab, v in samples(text) if n == name and all(lab.get(k) == x for k, x in labels.items())
    )


def scrape(url: str, timeout: float = 30) -> str:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=timeout) as response:
        return response.read().decode()
