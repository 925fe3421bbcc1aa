"""JSON API of the rapportage service (/rapportage/api/v1)."""
