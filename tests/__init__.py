"""Instap test suite."""
