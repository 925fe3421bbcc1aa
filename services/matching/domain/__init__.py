"""Matching use cases: plain functions taking a session; they never commit."""
