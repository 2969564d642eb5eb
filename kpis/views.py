from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_home(request: HttpRequest) -> HttpResponse:
    """A client account's landing page. ``ClientAccessMiddleware`` has checked access already."""
    return render(request, "kpis/client_home.html")
