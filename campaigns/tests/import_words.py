"""The words of an import's line errors in a given language, for tests that compare them with the
API's and the admin's (the wording's one home is ``campaigns.imports.runner.line_error``)."""

from django.utils import translation

from campaigns.imports.runner import line_error


def line_error_in(language: str, line: int, column: str, reason: str) -> str:
    """``line N, column C: reason`` as an import run in ``language`` words it (``ligne N, colonne C : …``)."""
    with translation.override(language):
        return line_error(line, column, reason)
