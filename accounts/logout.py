"""Log out, then say so on the login page: without a word, the login form alone reads as if the
session had expired or the click had failed (issue 14)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.utils.translation import gettext as _


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        was_signed_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_signed_in:
            # Stored after the session is flushed: the message travels in the messages cookie.
            messages.success(request, _("You are logged out."))
        return response
