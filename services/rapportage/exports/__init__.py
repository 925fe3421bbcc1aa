"""Every format of a report is built from its published document: the same numbers everywhere."""
