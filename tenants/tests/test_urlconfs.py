"""Each client's URLconf is built once per process and reused: memory stays flat whatever the number
of requests (issue 11, item 7), and reverse() inside a client always names that client."""

from __future__ import annotations

import gc
import weakref
from types import SimpleNamespace

from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.urls import get_resolver, reverse

from tenants.urlconfs import SubfolderUrlconfs

ROUNDS = 350  # x 3 clients x 2 requests = 2,100 requests


def test_thousands_of_client_requests_reuse_one_urlconf_per_client(http_as, world, monkeypatch):
    # given a fresh URLconf cache, and people who reach alpha and beta (the owner) and gamma (the other owner)
    urlconfs = SubfolderUrlconfs(size=1000)
    monkeypatch.setattr("tenants.middleware.client_urlconfs", urlconfs)
    callers = {"alpha": http_as(world.owner), "beta": http_as(world.owner), "gamma": http_as(world.other_owner)}
    seen: dict[str, set] = {slug: set() for slug in callers}  # the modules themselves: no id reuse
    modules = {}

    def serve_one_round() -> None:
        # clients interleaved; the pipeline page reverses its links, the API answers JSON
        for slug, caller in callers.items():
            page = caller.get(f"/c/{slug}/leads/")
            assert page.status_code == 200
            html = page.content.decode()
            assert f'href="/c/{slug}/leads/list/"' in html
            assert not any(f"/c/{other}/" in html for other in callers if other != slug)
            api = caller.get(f"/c/{slug}/api/v1/channels/")
            assert api.status_code == 200 and "results" in api.json()
            for response in (page, api):
                seen[slug].add(response.wsgi_request.urlconf)
                modules[slug] = response.wsgi_request.urlconf

    serve_one_round()
    resolvers = {slug: get_resolver(module) for slug, module in modules.items()}
    prefix_cache_entries = is_language_prefix_patterns_used.cache_info().currsize

    # when thousands more requests are served in this one process
    for _ in range(ROUNDS - 1):
        serve_one_round()

    # then one URLconf module was built per client and every request of a client used it
    assert urlconfs.built == 3
    assert {slug: len(used) for slug, used in seen.items()} == {"alpha": 1, "beta": 1, "gamma": 1}
    # and Django's caches keyed by URLconf did not grow, nor were they emptied (the resolvers are the first ones)
    assert is_language_prefix_patterns_used.cache_info().currsize == prefix_cache_entries
    assert all(get_resolver(modules[slug]) is resolver for slug, resolver in resolvers.items())
    # and each module reverses into its own client
    for slug, module in modules.items():
        assert reverse("leads:list", urlconf=module) == f"/c/{slug}/leads/list/"
        assert reverse("campaigns:channel-list", urlconf=module) == f"/c/{slug}/api/v1/channels/"


def test_made_up_slugs_never_push_a_client_out(http_as, world, monkeypatch):
    # given small caches for clients and for unknown slugs
    clients, unknown = SubfolderUrlconfs(size=2), SubfolderUrlconfs(size=5)
    monkeypatch.setattr("tenants.middleware.client_urlconfs", clients)
    monkeypatch.setattr("tenants.middleware.unknown_slug_urlconfs", unknown)
    owner = http_as(world.owner)
    assert owner.get("/c/alpha/leads/").status_code == 200
    # when a visitor tries 40 made-up client names
    anonymous = http_as(None)
    for i in range(40):
        assert anonymous.get(f"/c/made-up-{i}/leads/").status_code == 302  # the login, as for a real client
    # then the unknown slugs' cache stayed within its bound and alpha's URLconf is still the first one
    assert len(unknown) == 5 and unknown.built == 40
    assert "alpha" in clients and clients.built == 1
    assert owner.get("/c/alpha/leads/").status_code == 200 and clients.built == 1


def test_evicted_urlconfs_are_released_by_django_caches():
    # given a cache of 4 URLconfs, each used as a request uses it (resolved, reversed, language prefix looked up)
    urlconfs = SubfolderUrlconfs(size=4)
    released = []
    for i in range(20):
        module = urlconfs.for_client(SimpleNamespace(domain_subfolder=f"client-{i}"))
        assert get_resolver(module).resolve(f"/c/client-{i}/leads/").url_name == "board"
        assert reverse("leads:list", urlconf=module) == f"/c/client-{i}/leads/list/"
        is_language_prefix_patterns_used(module)
        released.append(weakref.ref(module))
        del module
    # when the garbage collector runs
    gc.collect()
    # then only the last 4 modules are alive: nothing else holds the 16 evicted ones
    assert len(urlconfs) == 4 and urlconfs.built == 20
    assert [ref() is not None for ref in released] == [False] * 16 + [True] * 4
    # and asking again for a kept slug gives the same module, an evicted one a new module
    assert urlconfs.for_client(SimpleNamespace(domain_subfolder="client-19")) is released[19]()
    assert urlconfs.for_client(SimpleNamespace(domain_subfolder="client-0")) is not None and urlconfs.built == 21
