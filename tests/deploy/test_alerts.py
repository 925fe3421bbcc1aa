"""deploy/prometheus/alerts.yml: checked and unit-tested with promtool (Debian package prometheus),
and cross-checked against the metrics the code defines and docs/operations.md."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "alerts.test.yml"
DOCS = ROOT / "docs" / "operations.md"
METRIC_SOURCES = [ROOT / "shared" / "metrics.py", *sorted((ROOT / "services").glob("*/metrics.py"))]
REQUIRED = {
    "InstapWorkerDown",
    "InstapQueueStalled",
    "InstapOutboxBacklogGrowing",
    "InstapJobsFailing",
    "InstapHighErrorRate",
    "InstapMatchRunOverdue",
}


def alerts() -> list[dict]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


def defined_metrics() -> set[str]:
    """Metric names as exposed: counters get _total, histograms _bucket/_count/_sum."""
    names: set[str] = set()
    for source in METRIC_SOURCES:
        text = source.read_text()
        for kind, name in re.findall(r"\b(Counter|Histogram|GaugeMetricFamily)\(\s*\"(instap_\w+)\"", text):
            if kind == "Counter":
                names.add(f"{name}_total")
            elif kind == "Histogram":
                names |= {f"{name}_bucket", f"{name}_count", f"{name}_sum"}
            else:
                names.add(name)
    return names


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.skip("promtool not installed (Debian package prometheus; `make test` installs it)")
    return found


def test_promtool_checks_the_rules():
    result = subprocess.run(
        [promtool(), "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alerts())} rules found" in result.stdout


def test_promtool_unit_tests_fire_each_alert():
    result = subprocess.run(
        [promtool(), "test", "rules", str(RULE_TESTS)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_rules_are_complete_and_use_real_metrics():
    rules = alerts()
    names = {r["alert"] for r in rules}
    assert names >= REQUIRED
    tested = set(re.findall(r"alertname:\s*(\w+)", RULE_TESTS.read_text()))
    assert names == tested, f"alerts without a promtool unit test: {sorted(names - tested)}"
    metrics = defined_metrics()
    assert {"instap_http_requests_total", "instap_queue_length", "instap_outbox_backlog"} <= metrics
    for rule in rules:
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
        used = set(re.findall(r"\binstap_\w+", rule["expr"]))
        assert used <= metrics, f"{rule['alert']} uses unknown metrics {sorted(used - metrics)}"


def test_every_metric_and_alert_is_explained_in_the_operations_guide():
    docs = DOCS.read_text()
    base_names = {re.sub(r"_(total|bucket|count|sum)$", "", m) for m in defined_metrics()}
    missing = sorted(m for m in base_names if m not in docs)
    assert not missing, f"docs/operations.md does not explain {missing}"
    assert not sorted(a["alert"] for a in alerts() if a["alert"] not in docs)
