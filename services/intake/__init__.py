"""Intake service: residents, consent, caseload and funnel; the only place with personal data."""
