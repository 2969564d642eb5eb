"""Routes of invitations and people (pages and API), included by accounts/urls.py."""

from django.urls import path

from accounts import api, people_views

urlpatterns = [
    path("people/", people_views.people, name="people"),
    path("people/invite/", people_views.invite, name="people-invite"),
    path("people/invitations/<int:pk>/resend/", people_views.invitation_resend_view, name="people-invitation-resend"),
    path("people/invitations/<int:pk>/revoke/", people_views.invitation_revoke_view, name="people-invitation-revoke"),
    path("people/members/<int:pk>/role/", people_views.member_role_view, name="people-member-role"),
    path("people/members/<int:pk>/remove/", people_views.member_remove_view, name="people-member-remove"),
    path("invitations/<str:token>/", people_views.invitation_accept_view, name="invitation-accept"),
    path("api/v1/invitations/", api.InvitationListCreateApi.as_view(), name="invitation-list"),
    path("api/v1/invitations/accept/", api.InvitationAcceptApi.as_view(), name="invitation-accept-api"),
    path("api/v1/invitations/<int:pk>/", api.InvitationDetailApi.as_view(), name="invitation-detail"),
    path("api/v1/invitations/<int:pk>/resend/", api.InvitationResendApi.as_view(), name="invitation-resend"),
    path("api/v1/clients/<slug:slug>/members/", api.ClientMemberListApi.as_view(), name="client-member-list"),
    path(
        "api/v1/clients/<slug:slug>/members/<int:pk>/",
        api.ClientMemberDetailApi.as_view(),
        name="client-member-detail",
    ),
]
