"""Intake JSON API (/intake/api/v1): one module per resource."""
