"""One URLconf module per client slug, built once and reused by every request to that client.

django-tenants' subfolder middleware builds a fresh URLconf module for every request and then
empties Django's URL caches. Django keys several caches on the URLconf object itself: the resolver
(``get_resolver``) and ``is_language_prefix_patterns_used``, which LocaleMiddleware fills and
nothing ever empties. So each request left one module behind (~4.4 KB: a gunicorn worker grew from
92 MB to 178 MB over 20,000 requests), and every request that reversed a URL re-populated a resolver
(~10 ms). A module per slug, reused, keeps those caches to one entry per client: the resolver is
populated once per client and process.

The cache is bounded (least recently used slug out). Django's caches cannot drop one key, so
evicted modules stay in them until enough have piled up; then Django's URL caches are emptied once,
and the live slugs re-populate their resolver on their next reverse. A populated resolver weighs
~120 KB, so a worker holds at most ~(size + size/4) of them; workers are also recycled
(``gunicorn --max-requests``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from types import ModuleType

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.urls import clear_url_caches, get_script_prefix, reverse
from django_tenants.urlresolvers import get_subfolder_urlconf
from django_tenants.utils import get_subfolder_prefix


class SubfolderUrlconfs:
    """URLconf modules by slug, at most ``size`` of them; thread-safe (gunicorn threads)."""

    def __init__(self, *, size: int) -> None:
        self.size = size
        self._forget_after = max(1, size // 4)
        self._modules: OrderedDict[str, ModuleType] = OrderedDict()
        self._lock = threading.Lock()
        self._evicted_since_forget = 0
        self.built = 0  # modules built since start: one per slug seen unless slugs were evicted

    def for_client(self, client) -> ModuleType:
        """The URLconf of ``client`` (which carries the path's slug as ``domain_subfolder``)."""
        slug = client.domain_subfolder
        with self._lock:
            module = self._modules.get(slug)
            if module is not None:
                self._modules.move_to_end(slug)
                return module
            module = get_subfolder_urlconf(client)
            self.built += 1
            self._modules[slug] = module
            while len(self._modules) > self.size:
                self._modules.popitem(last=False)
                self._evicted_since_forget += 1
            if self._evicted_since_forget >= self._forget_after:
                self._evicted_since_forget = 0
                _forget_evicted_modules()
            return module

    def __len__(self) -> int:
        return len(self._modules)

    def __contains__(self, slug: str) -> bool:
        return slug in self._modules


def _forget_evicted_modules() -> None:
    """Empty every Django cache keyed by a URLconf module, so evicted modules can be collected."""
    clear_url_caches()
    is_language_prefix_patterns_used.cache_clear()


# Clients and unknown slugs apart, so made-up slugs (anyone can type them) never push a real
# client out of the cache.
client_urlconfs = SubfolderUrlconfs(size=1000)
unknown_slug_urlconfs = SubfolderUrlconfs(size=200)


def client_url(client, name: str, *args, **kwargs) -> str:
    """The path of the URL named ``name`` in ``client``'s account (``/c/<slug>/…``), from any page.

    Inside a client's request a plain ``reverse(name)`` already does this. From the public pages
    (portfolio, client switcher) the name is reversed in the client URLconf without its prefix, then
    the client's prefix is put where django-tenants mounts it (``get_subfolder_urlconf``): the same
    path as reversing in that client's own module, but with ONE resolver for every client. Reversing
    in each client's module populated a resolver per client listed (~18 ms and ~120 KB each), so a
    portfolio of 100 clients cost ~2 s on its first render in every worker.
    """
    script_prefix = get_script_prefix()
    url = reverse(name, urlconf=settings.ROOT_URLCONF, args=args or None, kwargs=kwargs or None)
    return f"{script_prefix}{get_subfolder_prefix()}/{client.slug}/{url[len(script_prefix) :]}"
