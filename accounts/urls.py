"""The pages of people and accounts, in the public schema, included at the root by config/urls_public.py.

Route names are unprefixed (no ``app_name``), like ``login`` and ``home``: Django's own password views
reverse ``password_reset_done`` and friends by those names.

Two helpers share this file (issue 13): sign-up, confirmation, passwords and profile above the marker;
h7 appends invitations and people (``invitations/<token>/``, ``people/``, …) below it.
"""

from django.urls import path  # noqa: F401  (the routes below use it)

from accounts.people_urls import urlpatterns as people_urlpatterns

urlpatterns: list = [
    # --- sign-up, confirmation, passwords, profile (h6) ---
    # --- invitations and people (h7): add your routes below this line ---
    *people_urlpatterns,
]
