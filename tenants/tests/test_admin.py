"""Both admins, the platform's (/admin/) and each client's (/c/<slug>/admin/), answer an object id that
cannot name a row like any id that names nothing: the admin's "does not exist" redirect, never a 500."""

from __future__ import annotations

import pytest
from django.contrib import admin

from tenants.models import User
from tenants.tenant_admin import tenant_admin_site

IDS = ["abc", "1.5", "x%00y"]  # not a number; not a number either; text PostgreSQL cannot hold


def _change_urls(site, prefix: str) -> list[str]:
    return [
        f"{prefix}{model._meta.app_label}/{model._meta.model_name}/{object_id}/{view}"
        for model in site._registry
        for object_id in IDS
        for view in ("change/", "history/")
    ]


@pytest.fixture
def platform_staff(http_as):
    return http_as(User.objects.create_superuser("staff@pouls.test", "a-long-staff-password"))


def test_the_sweep_covers_both_admins_and_the_import_jobs():
    assert "/admin/knox/authtoken/x%00y/change/" in _change_urls(admin.site, "/admin/")
    assert "/c/alpha/admin/campaigns/importjob/abc/change/" in _change_urls(tenant_admin_site, "/c/alpha/admin/")


def test_an_id_that_cannot_name_a_row_is_the_platform_admins_does_not_exist(platform_staff):
    for url in _change_urls(admin.site, "/admin/"):
        response = platform_staff.get(url)
        # the admin's usual answer for a missing object: back to the admin with a message
        assert response.status_code == 302, (url, response.status_code)
        assert response["Location"].startswith("/admin/"), url


def test_an_id_that_cannot_name_a_row_is_the_client_admins_does_not_exist(http_as, world):
    manager = http_as(world.manager_alpha)
    for url in _change_urls(tenant_admin_site, "/c/alpha/admin/"):
        response = manager.get(url)
        assert response.status_code == 302, (url, response.status_code)
        assert response["Location"].startswith("/c/alpha/admin/"), url


def test_a_missing_import_job_is_the_admins_does_not_exist_with_its_message(http_as, world):
    manager = http_as(world.manager_alpha)
    response = manager.get("/c/alpha/admin/campaigns/importjob/abc/change/", follow=True)
    assert response.status_code == 200
    assert "abc" in " ".join(str(m) for m in response.context["messages"])
