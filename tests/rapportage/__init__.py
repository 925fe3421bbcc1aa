"""Tests of the rapportage service."""
