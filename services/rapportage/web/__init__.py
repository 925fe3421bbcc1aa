"""Pages of the rapportage service (Dutch, B1): dashboard, reports, outreach, packs."""
