"""Matching web pages (Dutch first, B1, WCAG 2.1 AA)."""
