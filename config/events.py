"""Signals by which a lower layer tells a higher one that something happened, so that imports point
one way (tenants → campaigns → leads → kpis → dashboards → portfolio, checked by import-linter in
``make lint``). The sender does not know who listens; the listeners connect in their AppConfig.ready."""

from django.dispatch import Signal

# Facts were written in the current client's schema (an import, a bulk lead move): the KPIs should be
# refreshed once the transaction commits. No arguments. Connected by kpis (kpi_refresh_request).
facts_changed = Signal()

# The current client's snapshots were refreshed (inside the refresh's transaction). Arguments:
# as_of (datetime), full_refresh (bool). Connected by portfolio (headline_publish).
snapshots_refreshed = Signal()

# A recipient opened or clicked a tracked email for the first time (campaigns.email_tracking, inside
# its transaction). Arguments: recipient (email), flag ("opened" or "clicked"), ref (the send's key),
# at (datetime). Connected by leads (the recipient's lead gets the activity).
email_engaged = Signal()

# A worker runs ``tenants.worker_ping`` (``manage.py check_worker``) inside a client's schema. No
# arguments; each receiver returns a dict of what it read there, added to the answer to prove the
# worker used that client's schema. Connected by campaigns (the client's channel count).
worker_probed = Signal()

# Recorded in the audit log (connected by audit: audit.receivers). Sent by the layers below audit, which
# may not import it, inside the transaction of the change they announce. Every one carries ``actor``
# (the user who did it, None for a system step) and the object.
# A personal API token was created or revoked (tenants.api). Arguments: actor, token (knox AuthToken;
# for a revocation, the deleted instance, whose token_key still names it).
api_token_created = Signal()
api_token_revoked = Signal()
# A client account was created, changed, archived or restored. Arguments: actor, client; client_updated
# also takes changes (dict: field name -> new value, JSON-serialisable).
client_created = Signal()
client_updated = Signal()
client_archived = Signal()
client_restored = Signal()
# Platform staff suspended or reinstated an agency (tenants.services). Arguments: actor, agency.
agency_suspended = Signal()
agency_reinstated = Signal()

# An agency connected a platform for the first time (connectors.services, inside its transaction).
# Arguments: actor (the user who connected), agency. Connected by alerts: the agency gets its default
# rule "a platform source broken or silent" unless it has one (docs/connectors.md, "Health").
platform_connected = Signal()
