"""Production settings pass Django's deployment checklist as they are, and serve HTTPS only: plain
HTTP is redirected and HSTS is sent, unless the operator says a TLS-terminating proxy redirects."""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
import sys

from tests.processes import ROOT, child_env

# What a client of the production settings sees, from a separate process (the suite runs with test settings).
_PROBE = """
import json, django
django.setup()
from django.test import Client
plain = Client().get("/accounts/login/")
secure = Client().get("/accounts/login/", headers={"X-Forwarded-Proto": "https"})
print(json.dumps({"plain": [plain.status_code, plain.get("Location")],
                  "secure": [secure.status_code, secure.get("Strict-Transport-Security")]}))
"""


def _production_env(**extra: str) -> dict[str, str]:
    # Only what an operator must set: nothing of the developer's DJANGO_* variables leaks in.
    env = {key: value for key, value in child_env().items() if not key.startswith("DJANGO_")}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "POULS_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        **extra,
    }


def test_production_settings_pass_the_deployment_checks_without_a_warning():
    # when the deployment checks run on the production settings, warnings counting as failures
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then they pass, and report nothing
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_a_tls_terminating_proxy_setup_also_passes_them():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(DJANGO_SECURE_SSL_REDIRECT="false"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _probe(**extra: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=ROOT,
        env=_production_env(**extra),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_redirects_plain_http_and_sends_hsts(world):
    # when the login page is asked for over plain HTTP, then over HTTPS (as the proxy says)
    seen = _probe()
    # then plain HTTP is sent to HTTPS, and HTTPS answers with a year of HSTS, subdomains included
    assert seen["plain"] == [301, "https://testserver/accounts/login/"]
    assert seen["secure"] == [200, "max-age=31536000; includeSubDomains"]


def test_the_redirect_can_be_left_to_a_tls_terminating_proxy(world):
    # given an operator whose proxy redirects plain HTTP itself
    seen = _probe(DJANGO_SECURE_SSL_REDIRECT="false")
    # then Pouls answers the request it is given, and HSTS still goes out over HTTPS
    assert seen["plain"] == [200, None]
    assert seen["secure"] == [200, "max-age=31536000; includeSubDomains"]
