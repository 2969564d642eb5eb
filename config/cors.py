"""django-cors-headers' middleware, with the endpoints answering their own preflights.

The library answers a CORS preflight itself (200, empty) before any view runs. Pouls's public
endpoints answer theirs: 204 No Content with the methods they take in ``Allow``, or 404 for a
client account that does not exist or is suspended, like every other request to it. The library
still writes every ``Access-Control-*`` header, from the ``CORS_*`` settings.
"""

from __future__ import annotations

from corsheaders.middleware import CorsMiddleware as LibraryCorsMiddleware


class CorsMiddleware(LibraryCorsMiddleware):
    def check_preflight(self, request):
        # No short-cut: the view answers the preflight, the library adds the headers to that answer.
        return None
