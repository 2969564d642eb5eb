"""The one domain error type. Services raise it; the API, commands and admin turn it into a clear
message (HTTP 400 with field errors in the API), never a 500."""

from __future__ import annotations


class DomainError(Exception):
    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code

    def as_dict(self) -> dict[str, list[str]]:
        return {self.field or "non_field_errors": [self.message]}
