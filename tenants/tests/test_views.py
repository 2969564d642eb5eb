from django.conf import settings
from django.test import Client as HttpClient

from conftest import PASSWORD


def test_the_login_page_speaks_french_by_default(db):
    response = HttpClient().get("/accounts/login/")
    assert response.status_code == 200
    assert response["Content-Language"] == "fr"
    assert "Se connecter à Pouls" in response.content.decode()


def test_logging_in_with_email_and_password_lands_on_the_switcher(db, world):
    browser = HttpClient()
    response = browser.post("/accounts/login/", {"username": "OWNER@agence.test", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    wrong = HttpClient().post("/accounts/login/", {"username": "owner@agence.test", "password": "nope"})
    assert wrong.status_code == 200
    assert "alert" in wrong.content.decode()


def test_the_agency_sees_all_its_clients_in_the_switcher(http_as, world):
    page = http_as(world.owner).get("/").content.decode()
    assert 'data-client="alpha"' in page
    assert 'data-client="beta"' in page
    assert 'data-client="gamma"' not in page


def test_a_clients_own_user_goes_straight_to_their_client(http_as, world):
    response = http_as(world.viewer_beta).get("/")
    assert response.status_code == 302
    assert response["Location"] == "/c/beta/"


def test_someone_without_access_sees_an_empty_switcher(http_as, world):
    page = http_as(world.outsider).get("/").content.decode()
    assert 'data-testid="no-clients"' in page
    assert "data-client=" not in page


def test_the_language_switch_sets_the_cookie_and_remembers_the_choice(http_as, world):
    browser = http_as(world.viewer_alpha)
    response = browser.post("/i18n/language/", {"language": "en", "next": "/c/alpha/"})
    assert response.status_code == 302
    assert response["Location"] == "/c/alpha/"
    assert browser.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    from tenants.models import User

    assert User.objects.get(pk=world.viewer_alpha.pk).language == "en"
    assert browser.get("/c/alpha/")["Content-Language"] == "en"


def test_the_language_switch_refuses_to_redirect_elsewhere(http_as, world):
    response = http_as(world.owner).post("/i18n/language/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_users_get_their_agencys_language_until_they_choose(http_as, world):
    # given the other agency works in English and its owner chose nothing
    browser = http_as(world.other_owner)
    # when they open a page while their browser asks for French
    response = browser.get("/", HTTP_ACCEPT_LANGUAGE="fr")
    # then the page is in English
    assert response["Content-Language"] == "en"
    assert "Client accounts" in response.content.decode()


def _platform_staff():
    # A user of its own: session fixtures (world.*) are shared by every test and must not be mutated.
    from tenants.models import User

    return User.objects.create_superuser("platform@pouls.test", "a-long-staff-password")


def test_the_platform_admin_is_for_platform_staff_only(http_as, world):
    assert http_as(world.owner).get("/admin/").status_code == 302
    admin = http_as(_platform_staff())
    assert admin.get("/admin/").status_code == 200
    assert admin.get("/admin/tenants/client/").status_code == 200


def test_the_platform_admin_creates_a_client_through_the_provisioning_service(http_as, world):
    from django_tenants.utils import schema_exists

    from tenants.models import Client

    staff = _platform_staff()
    response = http_as(staff).post(
        "/admin/tenants/client/add/",
        {
            "name": "Delta",
            "slug": "delta",
            "agency": world.agency.pk,
            "time_zone": "Europe/Paris",
            "currency": "EUR",
            "is_active": "on",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    client = Client.objects.get(slug="delta")
    assert client.schema_name == "c_delta" and schema_exists("c_delta")
    invalid = http_as(staff).post(
        "/admin/tenants/client/add/",
        {
            "name": "Bad",
            "slug": "bad",
            "time_zone": "Mars/Olympus",
            "currency": "EUR",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert invalid.status_code == 200
    assert not Client.objects.filter(slug="bad").exists()
