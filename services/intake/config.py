"""Intake's settings: the suite-wide Settings (no intake-only keys yet)."""

from shared.config import Settings, load_settings

__all__ = ["Settings", "load_settings"]
