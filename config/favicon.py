"""/favicon.ico: browsers ask for it whatever the page links to; send them to the SVG icon rather
than log a 404 for every first visit (issue 14)."""

from __future__ import annotations

from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.http import require_safe


@require_safe
def favicon(request):
    # Not permanent: the static URL carries the file's hash, which changes with the icon.
    return redirect(static("pouls/favicon.svg"))
