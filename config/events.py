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
