"""Notes in the client admin: the API's field rule, in its words; the author is who added it."""

from datetime import date

from annotations.admin import AnnotationForm
from annotations.models import Annotation
from annotations.services import annotation_fields_check
from config.errors import DomainError

ADMIN = "/c/alpha/admin/annotations/annotation/"


def _rule_message(**fields) -> str:
    values = {"start": date(2026, 3, 3), "end": None, "text": "x", "channel": None, "campaign": None} | fields
    try:
        annotation_fields_check(**values)
    except DomainError as error:
        return error.message
    raise AssertionError("the rule accepted it")


def test_the_admin_form_refuses_in_the_rules_words(in_alpha):
    cases = [
        ({"start": "2026-03-03", "end": "2026-03-01", "text": "x"}, "end", {"end": date(2026, 3, 1)}),
        ({"start": "", "text": "x"}, "start", {"start": None}),
        ({"start": "2026-03-03", "text": "  "}, "text", {"text": "  "}),
        ({"start": "2026-03-03", "text": "x" * 501}, "text", {"text": "x" * 501}),
        ({"start": "1999-03-03", "text": "x"}, "start", {"start": date(1999, 3, 3)}),
    ]
    for data, field, rule_input in cases:
        form = AnnotationForm(data=data)
        assert not form.is_valid()
        assert form.errors == {field: [_rule_message(**rule_input)]}, data


def test_a_manager_adds_a_note_in_the_client_admin_as_its_author(http_as, world, in_alpha):
    browser = http_as(world.manager_alpha)
    response = browser.post(f"{ADMIN}add/", {"start": "2026-03-03", "end": "", "text": " Salon pro ", "channel": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    note = Annotation.objects.get()
    assert (note.text, note.author) == ("Salon pro", world.manager_alpha)
    refused = browser.post(f"{ADMIN}{note.pk}/change/", {"start": "2026-03-03", "end": "2026-03-01", "text": "x"})
    assert refused.status_code == 200 and _rule_message(end=date(2026, 3, 1)) in refused.content.decode()
    assert http_as(world.sales_alpha).get(ADMIN).status_code in (302, 403, 404)  # the client admin is managers'
