"""The annotation API: members read, everyone but viewers writes, field errors in the rule's words,
and one client's notes never reach another."""

from datetime import date

from django_tenants.utils import tenant_context

from annotations.models import Annotation
from annotations.tests.factories import AnnotationFactory
from campaigns.tests.factories import CampaignFactory, builtin_channel

API = "/c/alpha/api/v1/annotations/"


def _json(browser, method: str, path: str, body: dict):
    return getattr(browser, method)(path, body, content_type="application/json")


def test_sales_add_a_note_that_viewers_read(http_as, world, in_alpha):
    # when a sales person notes a broken tracking on one channel
    created = _json(
        http_as(world.sales_alpha),
        "post",
        API,
        {"start": "2026-03-03", "end": "2026-03-05", "text": "Tracking cassé", "channel": "paid_search"},
    )
    # then it is saved with its author, and the client's viewer reads it
    assert created.status_code == 201, created.content
    body = created.json()
    assert body | {"id": 0, "created_at": "", "updated_at": ""} == {
        "id": 0,
        "start": "2026-03-03",
        "end": "2026-03-05",
        "text": "Tracking cassé",
        "channel": "paid_search",
        "campaign": None,
        "author": "sales@alpha.test",
        "created_at": "",
        "updated_at": "",
    }
    listed = http_as(world.viewer_alpha).get(API)
    assert listed.status_code == 200 and [n["id"] for n in listed.json()] == [body["id"]]
    assert http_as(world.viewer_alpha).get(f"{API}{body['id']}/").json()["text"] == "Tracking cassé"


def test_the_list_filters_by_dates_channel_and_campaign(http_as, world, in_alpha):
    spring = CampaignFactory(key="printemps")
    early = AnnotationFactory(start=date(2026, 2, 27), end=date(2026, 3, 2))
    paid = AnnotationFactory(start=date(2026, 3, 10), channel=builtin_channel("paid_search"))
    launch = AnnotationFactory(start=date(2026, 3, 20), campaign=spring)
    AnnotationFactory(start=date(2026, 4, 2))
    browser = http_as(world.viewer_alpha)

    def ids(**query) -> list[int]:
        response = browser.get(API, query)
        assert response.status_code == 200, response.content
        return [n["id"] for n in response.json()]

    assert ids(**{"from": "2026-03-01", "to": "2026-03-31"}) == [early.pk, paid.pk, launch.pk]
    assert ids(channel="paid_search") == [paid.pk]
    assert ids(campaign="printemps", to="2026-03-19") == []
    assert ids(campaign="printemps") == [launch.pk]


def test_viewers_are_refused_every_write(http_as, world, in_alpha):
    note = AnnotationFactory()
    viewer = http_as(world.viewer_alpha)
    assert _json(viewer, "post", API, {"start": "2026-03-03", "text": "x"}).status_code == 403
    assert _json(viewer, "patch", f"{API}{note.pk}/", {"text": "y"}).status_code == 403
    assert _json(viewer, "put", f"{API}{note.pk}/", {"start": "2026-03-03", "text": "y"}).status_code == 403
    assert viewer.delete(f"{API}{note.pk}/").status_code == 403
    assert Annotation.objects.get().text == note.text


def test_managers_change_and_delete_a_note(http_as, world, in_alpha):
    note = AnnotationFactory(start=date(2026, 3, 3), end=date(2026, 3, 5), channel=builtin_channel("email"))
    manager = http_as(world.manager_alpha)
    patched = _json(manager, "patch", f"{API}{note.pk}/", {"text": "Relance de mars"})
    assert patched.status_code == 200 and patched.json()["end"] == "2026-03-05" and patched.json()["channel"] == "email"
    # PUT replaces every field: no end and no channel any more
    put = _json(manager, "put", f"{API}{note.pk}/", {"start": "2026-03-04", "text": "Relance"})
    assert put.status_code == 200 and (put.json()["end"], put.json()["channel"]) == (None, None)
    assert http_as(world.staff).delete(f"{API}{note.pk}/").status_code == 204
    assert not Annotation.objects.exists()


def test_bad_values_get_the_rules_field_errors_never_a_500(http_as, world, in_alpha):
    CampaignFactory(key="printemps")
    browser = http_as(world.sales_alpha)
    good = {"start": "2026-03-03", "text": "Note"}
    cases = [
        ({"end": "2026-03-01"}, "end"),
        ({"start": "1999-12-31"}, "start"),
        ({"start": None}, "start"),
        ({"start": "3 mars"}, "start"),
        ({"text": "  "}, "text"),
        ({"text": "x" * 501}, "text"),
        ({"channel": "nope"}, "channel"),
        ({"channel": "email", "campaign": "printemps"}, "campaign"),
    ]
    for change, field in cases:
        response = _json(browser, "post", API, good | change)
        assert response.status_code == 400, change
        assert list(response.json()) == [field], (change, response.json())
    assert browser.get(API, {"from": "2026-04-01", "to": "2026-03-01"}).status_code == 400
    assert browser.get(API, {"from": "hier"}).status_code == 400
    note = AnnotationFactory()
    assert list(_json(browser, "patch", f"{API}{note.pk}/", {"end": "2026-01-01"}).json()) == ["end"]
    assert not Annotation.objects.exclude(pk=note.pk).exists()


def test_a_note_of_one_client_never_reaches_another(http_as, world, in_alpha):
    # given a note in alpha
    note = AnnotationFactory(text="Secret d'Alpha")
    # then beta's viewer and the other agency's owner do not even learn alpha exists
    for user in (world.viewer_beta, world.other_owner, world.outsider):
        browser = http_as(user)
        assert browser.get(API).status_code == 404
        assert browser.get(f"{API}{note.pk}/").status_code == 404
        assert _json(browser, "patch", f"{API}{note.pk}/", {"text": "x"}).status_code == 404
        assert browser.delete(f"{API}{note.pk}/").status_code == 404
    # and through beta's own address, the agency's owner finds no such note
    owner = http_as(world.owner)
    assert owner.get("/c/beta/api/v1/annotations/").json() == []
    assert owner.get(f"/c/beta/api/v1/annotations/{note.pk}/").status_code == 404
    assert owner.delete(f"/c/beta/api/v1/annotations/{note.pk}/").status_code == 404
    assert http_as(None).get(API).status_code in (401, 403)
    with tenant_context(world.beta):
        assert not Annotation.objects.exists()
    assert Annotation.objects.get().text == "Secret d'Alpha"
