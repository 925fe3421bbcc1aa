"""Matching JSON API (/matching/api/v1): one module per resource."""
