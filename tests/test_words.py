"""Names after "of" read as their language writes them (issue 14, "Words"): French elides "de"
before a vowel or an h (``config.words.of_name``)."""

import pytest
from django.template import Context, Template
from django.utils import translation

from config.words import elides, of_name


@pytest.mark.parametrize(
    ("name", "french", "english"),
    [
        ("Arthur", "d'Arthur", "of Arthur"),
        ("Inès", "d'Inès", "of Inès"),
        ("Hugo", "d'Hugo", "of Hugo"),
        ("Émile", "d'Émile", "of Émile"),
        ("Yves", "d'Yves", "of Yves"),
        ("Claire", "de Claire", "of Claire"),
        ("arthur@example.test", "d'arthur@example.test", "of arthur@example.test"),
        ("Beta SARL", "de Beta SARL", "of Beta SARL"),
    ],
)
def test_a_name_after_of(name, french, english):
    with translation.override("fr"):
        assert of_name(name) == french
    with translation.override("en"):
        assert of_name(name) == english


def test_what_elides_and_what_does_not():
    assert elides("  Ulysse") and elides("Ôtis") and elides("hélène")
    assert not elides("Zoé") and not elides("") and not elides("42")


def test_the_template_filter_says_the_same():
    template = Template("{% load words %}{{ name|of_name }}")
    with translation.override("fr"):
        assert template.render(Context({"name": "Atelier Sillon"})) == "d&#x27;Atelier Sillon"
        assert template.render(Context({"name": "Vélo Nord"})) == "de Vélo Nord"


@pytest.mark.django_db
def test_client_names_after_of_on_the_settings_and_branding_pages(http_as, world):
    browser = http_as(world.owner)
    browser.cookies["django_language"] = "fr"
    settings = browser.get("/clients/alpha/settings/").content.decode()
    assert "<h1>Paramètres d&#x27;Alpha SAS</h1>" in settings and "Paramètres de Alpha" not in settings
    assert "<h1>Paramètres de Beta SARL</h1>" in browser.get("/clients/beta/settings/").content.decode()
    branding = browser.get("/c/alpha/dashboard/branding/").content.decode()
    assert "sur le tableau de bord d&#x27;Alpha SAS." in branding
    browser.cookies["django_language"] = "en"
    assert "<h1>Settings of Alpha SAS</h1>" in browser.get("/clients/alpha/settings/").content.decode()
