"""Rapportage use cases: the fact store (fed by events), outreach, reports, packs."""
