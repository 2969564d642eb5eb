"""The pages of people and accounts, in the public schema, included at the root by config/urls_public.py.

Route names are unprefixed (no ``app_name``), like ``login`` and ``home``: Django's own password views
reverse ``password_reset_done`` and friends by those names.

Two helpers share this file (issue 13): sign-up, confirmation, passwords and profile above the marker;
h7 appends invitations and people (``invitations/<token>/``, ``people/``, …) below it.
"""

from django.urls import path

from accounts import passwords, profile_views, signup_views
from accounts.people_urls import urlpatterns as people_urlpatterns

urlpatterns: list = [
    # --- sign-up, confirmation, passwords, profile (h6) ---
    path("signup/", signup_views.SignupView.as_view(), name="signup"),
    path("signup/sent/", signup_views.signup_sent, name="signup-sent"),
    path("signup/confirm/<str:token>/", signup_views.signup_confirm_view, name="signup-confirm"),
    path("accounts/confirmation/resend/", signup_views.confirmation_resend_view, name="signup-resend"),
    path("accounts/password/reset/", passwords.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password/reset/sent/", passwords.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        passwords.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/", passwords.PasswordResetCompleteView.as_view(), name="password_reset_complete"
    ),
    path("accounts/password/change/", passwords.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/profile/", profile_views.profile, name="profile"),
    # --- invitations and people (h7): add your routes below this line ---
    *people_urlpatterns,
]
