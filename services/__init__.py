"""The Instap services: intake (personal data), matching (market), rapportage (reports)."""
