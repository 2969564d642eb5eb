"""The profile's weekly digest choice: agency people are asked, one field says it, bad input is a 400."""

from __future__ import annotations

from accounts.models import DigestPreference
from accounts.profile import digest_choice
from tenants.models import User


def preference(user) -> tuple[bool, bool]:
    row = DigestPreference.objects.get(user=user)
    return row.enabled, row.when_calm


def test_an_agency_person_chooses_always_attention_or_never(http_as, world):
    browser = http_as(world.staff)
    page = browser.get("/accounts/profile/")
    assert b'data-testid="digest-form"' in page.content
    assert page.context["digest_form"].initial == {"digest": "attention"}  # no row: the defaults

    for choice, expected in [("always", (True, True)), ("off", (False, False)), ("attention", (True, False))]:
        response = browser.post("/accounts/profile/", {"digest": choice})
        assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
        assert preference(world.staff) == expected
        assert digest_choice(world.staff) == choice
    assert DigestPreference.objects.filter(user=world.staff).count() == 1


def test_the_digest_form_leaves_the_profile_alone_and_the_profile_form_the_digest(http_as, world):
    User.objects.filter(pk=world.owner.pk).update(full_name="Ana Lima", language="en")
    browser = http_as(world.owner)
    browser.post("/accounts/profile/", {"digest": "off"})
    owner = User.objects.get(pk=world.owner.pk)
    assert (owner.full_name, owner.language) == ("Ana Lima", "en")
    browser.post("/accounts/profile/", {"full_name": "Ana Lima", "language": "fr"})
    assert preference(world.owner) == (False, False)


def test_a_bad_digest_choice_is_a_field_error(http_as, world):
    browser = http_as(world.owner)
    response = browser.post("/accounts/profile/", {"digest": "sometimes"})
    assert response.status_code == 400
    assert list(response.context["digest_form"].errors) == ["digest"]
    assert b'data-testid="errors-digest"' in response.content
    assert not DigestPreference.objects.filter(user=world.owner).exists()


def test_client_people_are_not_asked(http_as, world):
    for person in (world.manager_alpha, world.viewer_alpha, world.outsider):
        page = http_as(person).get("/accounts/profile/")
        assert page.status_code == 200 and b'data-testid="digest-form"' not in page.content
