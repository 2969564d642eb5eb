"""Concrete paths for every URL pattern of a client account, to probe access on all of them."""

from __future__ import annotations

import re

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>(?:[^()]|\([^()]*\))*)\)")


def _candidates() -> list[str]:
    # Values tried for a URL parameter, first fit wins: enough to make every pattern resolve.
    labels = [config.label for config in apps.get_app_configs()]
    models = [model._meta.model_name for model in apps.get_models()]
    return ["campaigns", "channel", "direct", "1", *labels, *models]


def _fill(regex: str, candidates: list[str]) -> str:
    return next((c for c in candidates if re.fullmatch(regex, c)), "1")


def _concrete(pattern, candidates: list[str]) -> str:
    if isinstance(pattern, RoutePattern):
        route = str(pattern._route)

        def param(match):
            converter = pattern.converters[match["name"]]
            return _fill(converter.regex, candidates)

        return _ROUTE_PARAM.sub(param, route)
    assert isinstance(pattern, RegexPattern)
    text = _REGEX_GROUP.sub(lambda m: _fill(m["body"], candidates), pattern._regex)
    return text.removeprefix("^").removesuffix("$").removesuffix(r"\Z").replace("\\", "")


def _walk(patterns, prefix: str, candidates: list[str]):
    for entry in patterns:
        here = prefix + _concrete(entry.pattern, candidates)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, here, candidates)
        elif isinstance(entry, URLPattern):
            yield here


def tenant_paths() -> list[str]:
    """One concrete path (without the /c/<slug>/ prefix) for every tenant URL pattern."""
    return sorted(set(_walk(get_resolver("config.urls_tenants").url_patterns, "", _candidates())))
