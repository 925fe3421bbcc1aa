"""The rapportage service: reports in unique persons, protected by disclosure control."""
