"""The password check of every login (the page, the platform admin, POST /api/v1/tokens/): Django's,
refusing also the people of a suspended agency (``tenants.access.agency_suspended_for``).

Only at login: an open session is not re-checked on each request (no extra query per page); what a
suspended agency's people could still reach is nothing, since ``tenants.access`` fails closed for its
clients.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from tenants.access import agency_suspended_for


class AccountBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and agency_suspended_for(user):
            return None
        return user
