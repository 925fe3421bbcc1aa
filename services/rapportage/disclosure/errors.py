"""The one error this package raises for bad input, naming the field it is about."""

from __future__ import annotations


class DisclosureError(ValueError):
    """Bad input for a table, a policy or a document; `message` is Dutch, for people."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
