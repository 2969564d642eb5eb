"""Links into a client's account from the public pages are reversed against that client's own
URLconf (issue 12), never built by hand, and leave the page's own URLconf alone."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, get_urlconf, reverse

from tenants.urlconfs import SubfolderUrlconfs, client_url


def test_client_url_names_the_given_client_from_a_public_page(world):
    # given no client request in progress
    before = get_urlconf()
    # when URLs of two clients are reversed by name, with and without arguments
    home = client_url(world.alpha, "client-home")
    lead = client_url(world.beta, "leads:detail", 7)
    csv = client_url(world.alpha, "dashboard-csv", chart="leads-by-channel")
    # then each is under its own client's slug, and the current URLconf is untouched
    assert home == "/c/alpha/"
    assert lead == "/c/beta/leads/7/"
    assert csv == "/c/alpha/dashboard/leads-by-channel.csv"
    assert get_urlconf() is before


def test_client_url_matches_the_client_own_urlconf(world):
    # given the URLconf module the middleware would serve beta with
    world.beta.domain_subfolder = world.beta.slug
    own = SubfolderUrlconfs(size=1).for_client(world.beta)
    # then every kind of name reverses to the same path through client_url
    for name, args, kwargs in [
        ("client-home", (), {}),
        ("dashboard-api", (), {}),
        ("api-docs", (), {}),
        ("tenant_admin:index", (), {}),
        ("leads:note", (12,), {}),
        ("dashboard-csv", (), {"chart": "channels"}),
    ]:
        assert client_url(world.beta, name, *args, **kwargs) == reverse(name, urlconf=own, args=args, kwargs=kwargs)


def test_client_url_refuses_a_name_the_client_urlconf_does_not_have(world):
    # when a name of the public pages (the login page) is asked of a client
    # then it is not silently built
    with pytest.raises(NoReverseMatch):
        client_url(world.alpha, "login")


def test_client_url_template_tag(world):
    # given a public template linking to a client's pipeline list
    template = Template('{% load client_urls %}<a href="{% client_url client "leads:list" %}">')
    # when it is rendered
    html = template.render(Context({"client": world.gamma}))
    # then the link names that client
    assert html == '<a href="/c/gamma/leads/list/">'
