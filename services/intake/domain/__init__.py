"""Intake use cases: plain functions taking a session and a principal; they never commit."""
