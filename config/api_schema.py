"""The OpenAPI document tells every answer an operation may give, errors included.

drf-spectacular documents the success of each operation; ``AutoSchema`` adds the errors, the same way
everywhere, with the JSON body ``config.api_errors`` gives them (``Error``): field messages for a 400,
``detail`` for the others. Which errors an operation may answer follows from what it is:

- 400: it takes input (a body, or query parameters beyond the page and the ordering); writes may also
  break a rule of the service (``DomainError``).
- 401: always: a missing, wrong, expired or revoked token is refused on any operation, with
  ``WWW-Authenticate: Token``.
- 403: writes (a role that does not allow them, a browser session without its CSRF token), and reads
  of views that refuse some members (viewers on the client team's views) or some roles (a permission
  with ``refuses_reads``, such as the audit log's, for agency owners only).
- 404: paths naming an object, paginated lists (a page past the end), every operation of a client
  account (a client the caller may not enter does not exist for them), and operations whose body names
  a place the caller may not see (a view with ``body_names_objects``, such as an invitation's client).
- 415: operations that read a body, sent with a Content-Type they do not read (or none).
- 429: throttled views, with ``Retry-After``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import SAFE_METHODS

from tenants.permissions import ClientMemberPermission, ClientTeamPermission

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": "An error. A 400 names each field refused (non_field_errors: the input as a whole) with its "
    "messages; other codes say why in detail.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {
        "description": "The messages of one field (an object for the items of a list or a nested input).",
        "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}],
    },
}
ERRORS = {
    "400": _("Invalid input: the messages of each field refused."),
    "401": _("Missing, wrong, expired or revoked credentials."),
    "403": _("The caller's role does not allow it (or a browser session came without its CSRF token)."),
    "404": _("No such object, or a client account the caller may not enter."),
    "415": _("The body's Content-Type is not one the operation reads."),
    "429": _("Too many requests: try again after Retry-After seconds."),
}
HEADERS = {
    "401": {
        "WWW-Authenticate": {
            "schema": {"type": "string"},
            "required": True,
            "description": "Token: how to authenticate",
        }
    },
    "429": {"Retry-After": {"schema": {"type": "string"}, "description": "Seconds to wait"}},
}
# Query parameters that never make a 400: a page past the end is a 404, an unknown ordering is ignored.
NEVER_INVALID = {"page", "ordering"}


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        component = ResolvedComponent(
            name=ERROR_COMPONENT, type=ResolvedComponent.SCHEMA, object=ERROR_COMPONENT, schema=ERROR_SCHEMA
        )
        self.registry.register_on_missing(component)
        responses = operation.setdefault("responses", {})
        for code in self._error_codes(operation):
            if code not in responses:
                responses[code] = {
                    "description": str(ERRORS[code]),
                    "content": {"application/json": {"schema": component.ref}},
                    **({"headers": HEADERS[code]} if code in HEADERS else {}),
                }
        return operation

    def _error_codes(self, operation: dict) -> list[str]:
        parameters = operation.get("parameters", [])
        query = {p["name"] for p in parameters if p["in"] == "query"}
        writes = self.method not in SAFE_METHODS
        permissions = self.view.get_permissions()
        in_client = any(isinstance(p, ClientMemberPermission) for p in permissions)
        codes = []
        if writes or query - NEVER_INVALID:
            codes.append("400")
        if self.view.get_authenticators():
            codes.append("401")
        if writes or any(
            isinstance(p, ClientTeamPermission) or getattr(p, "refuses_reads", False) for p in permissions
        ):
            codes.append("403")
        names_objects = writes and getattr(self.view, "body_names_objects", False)
        if in_client or names_objects or "page" in query or any(p["in"] == "path" for p in parameters):
            codes.append("404")
        if "requestBody" in operation:
            codes.append("415")
        if self.view.get_throttles():
            codes.append("429")
        return codes


class RelatedKeySchema(OpenApiSerializerFieldExtension):
    """A related object named by its key or email (``"campaign": "spring-sale"``) is null when the row
    has none: nullable exactly when the model's foreign key is."""

    target_class = "rest_framework.relations.SlugRelatedField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if _model_field_is_nullable(self.target):
            schema["nullable"] = True
        return schema


def _model_field_is_nullable(field) -> bool:
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or "." in field.source:
        return False
    try:
        return model._meta.get_field(field.source).null
    except FieldDoesNotExist:
        return False


def client_server(result, generator, request, public):
    """drf-spectacular postprocessing hook: a client's document names its server, /c/<slug>, since
    its paths (/api/v1/…) are relative to it."""
    tenant = getattr(request, "tenant", None) if request is not None else None
    slug = getattr(tenant, "domain_subfolder", None)
    if slug:
        result["servers"] = [{"url": client_server_url(slug)}]
    return result


def client_server_url(slug: str) -> str:
    return f"/{settings.TENANT_SUBFOLDER_PREFIX}/{slug}"
