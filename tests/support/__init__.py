"""Pytest-free helpers for the test suite (real servers, shared by conftest files)."""
