"""Inputs and outputs of the people API (invitations, members)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.invitations import NAME_MAX_LENGTH
from accounts.models import Invitation, InvitationStatus
from tenants.models import AGENCY_ROLES, CLIENT_ROLES, Role

PASSWORD_MAX_LENGTH = 4096  # Django's own forms accept no longer password


class InvitationOutputSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="slug", read_only=True, help_text=_("For client roles."))
    agency = serializers.PrimaryKeyRelatedField(read_only=True, help_text=_("For agency roles."))
    status = serializers.ChoiceField(choices=InvitationStatus.choices, read_only=True)
    invited_by = serializers.SlugRelatedField(slug_field="email", read_only=True)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "role",
            "agency",
            "client",
            "status",
            "invited_by",
            "created_at",
            "sent_at",
            "expires_at",
        ]
        read_only_fields = fields


class InvitationCreateInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)
    client = serializers.SlugField(
        max_length=50, required=False, allow_null=True, help_text=_("The client account's slug, for client roles.")
    )
    agency = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text=_("For agency roles: the agency's id; by default the one agency you own."),
    )

    def validate(self, attrs):
        if attrs["role"] in CLIENT_ROLES and not attrs.get("client"):
            raise serializers.ValidationError({"client": [_("A client role needs the client account's slug.")]})
        if attrs["role"] in AGENCY_ROLES and attrs.get("client"):
            raise serializers.ValidationError({"client": [_("An agency role is for the whole agency, not a client.")]})
        return attrs


class InvitationAcceptInputSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200, help_text=_("The last part of the invitation link."))
    name = serializers.CharField(
        max_length=NAME_MAX_LENGTH, required=False, allow_blank=True, help_text=_("A new account's full name.")
    )
    password = serializers.CharField(
        max_length=PASSWORD_MAX_LENGTH,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        write_only=True,
        style={"input_type": "password"},
        help_text=_(
            "A new account: the password to set. An existing account: its password (not needed when signed in as it)."
        ),
    )


class InvitationAcceptedSerializer(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)
    agency = serializers.IntegerField(allow_null=True)
    client = serializers.CharField(allow_null=True)
    new_account = serializers.BooleanField()
    url = serializers.CharField(help_text=_("Where to go next: the client's dashboard, or the portfolio."))


class MemberOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    kind = serializers.ChoiceField(
        choices=[("client", _("Member of this client account")), ("agency", _("Agency people (every client)"))]
    )
    can_manage = serializers.BooleanField(help_text=_("Whether you may change this member's role or remove them."))
    since = serializers.DateTimeField()


class MemberUpdateInputSerializer(serializers.Serializer):
    # Every role, as elsewhere in the document (one enum); a client's member takes manager, sales or viewer.
    role = serializers.ChoiceField(choices=Role.choices, help_text=_("manager, sales or viewer"))
