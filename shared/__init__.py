"""Shared library of the Instap services: config, database, auth, events, API, web (no service logic)."""
