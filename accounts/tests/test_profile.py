"""The profile page: name and language, effective on the next page."""

from __future__ import annotations

from django.conf import settings

from tenants.models import User


def test_the_profile_changes_name_and_language_and_the_next_page_speaks_it(http_as, world):
    browser = http_as(world.manager_alpha)
    page = browser.get("/accounts/profile/")
    assert page.status_code == 200 and b'data-testid="profile-email"' in page.content

    response = browser.post("/accounts/profile/", {"full_name": "  Marie   Curie ", "language": "en"})
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
    user = User.objects.get(pk=world.manager_alpha.pk)
    assert (user.full_name, user.language) == ("Marie Curie", "en")
    assert browser.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert browser.get("/accounts/profile/").content.count(b'<html lang="en">') == 1

    browser.post("/accounts/profile/", {"full_name": "Marie Curie", "language": "fr"})
    assert browser.get("/accounts/profile/").content.count(b'<html lang="fr">') == 1


def test_no_language_of_ones_own_follows_the_agency(http_as, world):
    User.objects.filter(pk=world.other_owner.pk).update(language="fr")
    browser = http_as(world.other_owner)
    browser.post("/accounts/profile/", {"full_name": "", "language": ""})
    assert User.objects.get(pk=world.other_owner.pk).language == ""
    assert browser.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"  # Other Agency's default


def test_bad_profile_input_is_a_field_error(http_as, world):
    browser = http_as(world.viewer_alpha)
    for data, field in [({"language": "de"}, "language"), ({"full_name": "x" * 201}, "full_name")]:
        response = browser.post("/accounts/profile/", data)
        assert response.status_code == 200 and list(response.context["form"].errors) == [field]
        assert b'data-testid="errors-' + field.encode() + b'"' in response.content
    assert User.objects.get(pk=world.viewer_alpha.pk).language == ""


def test_the_profile_needs_a_login(anonymous):
    assert anonymous.get("/accounts/profile/")["Location"].startswith("/accounts/login/")
