from tenants.access import client_access_for


def client_access(request) -> dict:
    """The current client and the user's role there, for the page header. The middleware has
    usually resolved it already; this only fills in for pages it skipped."""
    tenant = getattr(request, "tenant", None)
    access = getattr(request, "client_access", None)
    if access is None and tenant is not None and tenant.pk and getattr(request, "user", None) is not None:
        access = client_access_for(request.user, tenant)
    return {"client_access": access, "current_client": access.client if access else None}
