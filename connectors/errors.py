"""What can go wrong talking to a platform, by what the sync does about it."""

from __future__ import annotations


class ConnectorError(Exception):
    """A sync could not finish; ``message`` is shown as the source's last error (translated text)."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status


class Transient(ConnectorError):
    """429, 5xx, a timeout or a dropped connection, still there after the retries: the task retries later."""


class GrantRefused(ConnectorError):
    """The platform refuses the grant (401 after one refresh, ``invalid_grant``): the connection is broken
    until an agency person reconnects."""


class SourceRefused(ConnectorError):
    """The grant is fine but this account is not reachable or not usable (403, 404, a bad id, a currency that
    is not the client's): the source is broken until someone picks another account or fixes the access."""


class NotConfigured(ConnectorError):
    """The platform's app credentials are not in the environment (the connect screen says which)."""
