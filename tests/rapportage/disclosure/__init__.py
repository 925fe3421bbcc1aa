"""Tests of the pure disclosure-control package."""
