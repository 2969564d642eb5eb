"""The admin's import screens in French (issue 14): counts with their plural forms, kinds by their names,
the result in words rather than JSON, and a refused file shown as refused (docs/imports.md)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.imports.jobs import import_job_run
from campaigns.models import ImportJob, Offer
from campaigns.tests.factories import ImportJobFactory
from tenants.services import user_create_or_update

JOBS = "/c/alpha/admin/campaigns/importjob/"
# The job list: the client's schema and domain (3), session, user and membership (3), the two counts of the
# paginator, the page of jobs, its uploaders (one query for all), and the two settings the menu looks for.
QUERIES_JOB_LIST = 12

UPLOAD = "/c/alpha/admin/campaigns/importjob/upload/"
THREE_BAD_LINES = b"date,campaign,amount\n2026-01-01,x,-1\n2026-01-02,x,oops\n2026-01-03,x,-5\n2026-01-04,x,2\n"
THREE_OFFERS = b"key,name\nebook,Ebook\nwebinar,Webinar\naudit,Audit\n"


def admin_upload(admin, content: bytes, kind: str, **extra):
    response = admin.post(UPLOAD, {"kind": kind, "file": SimpleUploadedFile(f"{kind}.csv", content), **extra})
    assert response.status_code == 302
    return admin.get(response["Location"]).content.decode()


def listed_errors(page: str) -> list[str]:
    lists = re.findall(r'<ul class="errorlist">(.*?)</ul>', page, re.S)
    return re.findall(r"<li>(.*?)</li>", "".join(lists), re.S)


def test_the_preview_counts_the_invalid_lines_with_the_french_plural(http_as, world, in_alpha):
    admin = http_as(world.manager_alpha)
    page = admin_upload(admin, THREE_BAD_LINES, "spend", partial="on")
    assert "3 lignes sont invalides\u00a0:" in page
    assert "0 ligne est invalide" not in page
    assert len(listed_errors(page)) == 3
    assert "/confirm/" in page  # partial: the valid line can still be written


def test_a_refused_upload_shows_as_refused_with_its_errors(http_as, world, in_alpha):
    admin = http_as(world.manager_alpha)
    page = admin_upload(admin, THREE_BAD_LINES, "spend")
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.REJECTED and job.rejected_count == 3
    assert "Refusé" in page and "En attente de confirmation" not in page
    assert "3 lignes sont invalides\u00a0:" in page
    assert len(listed_errors(page)) == 3
    assert "/confirm/" not in page


def test_the_result_reads_as_counts_in_words_not_json(http_as, world, in_alpha):
    admin = http_as(world.manager_alpha)
    admin_upload(admin, THREE_OFFERS, "offers")
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DRAFT
    admin.post(f"/c/alpha/admin/campaigns/importjob/{job.pk}/confirm/")
    import_job_run(job_id=job.pk)
    assert Offer.objects.count() == 3
    page = admin.get(f"/c/alpha/admin/campaigns/importjob/{job.pk}/change/").content.decode()
    assert "3 créés" in page and "0 mis à jour" in page and "0 inchangé" in page
    assert "créé le" not in page
    assert "&quot;created&quot;" not in page and '"created":' not in page  # no raw JSON
    assert "Offres" in page  # the kind by its name


def test_the_form_lists_kinds_by_their_names(http_as, world, in_alpha):
    page = http_as(world.manager_alpha).get(UPLOAD).content.decode()
    assert '<option value="keywords">Mots-clés</option>' in page
    assert '<option value="spend">Dépenses</option>' in page
    assert '<option value="landing_pages">Pages d&#x27;atterrissage</option>' in page


def words(page: str) -> str:
    """The page's text without its tags, blanks collapsed (a label and its value read as one)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def reader(world, language: str):
    world.manager_alpha.language = language
    world.manager_alpha.save(update_fields=["language"])
    return world.manager_alpha


@pytest.mark.parametrize(
    ("language", "named", "heading", "by", "key_heading"),
    [
        ("fr", "Marie Curie", "Mots-clés · crm.csv", "Déposé par : Marie Curie", "keywords · crm.csv"),
        ("en", "Marie Curie", "Keywords · crm.csv", "Uploaded by: Marie Curie", "keywords · crm.csv"),
        ("fr", "", "Mots-clés · crm.csv", "Déposé par : marie@alpha.test", "keywords · crm.csv"),
    ],
)
def test_the_job_page_names_its_kind_and_its_uploader(
    http_as, world, in_alpha, language, named, heading, by, key_heading
):
    marie, _ = user_create_or_update(email="marie@alpha.test", password=None, full_name=named)
    job = ImportJobFactory(kind="keywords", filename="crm.csv", status="done", created_by_id=marie.pk)
    page = http_as(reader(world, language)).get(f"{JOBS}{job.pk}/change/").content.decode()
    text = words(page).replace("\u00a0", " ")
    assert f"<title>{heading} |" in page and f"<h2>{heading}</h2>" in page  # title and subtitle
    assert key_heading not in page
    assert by in text
    assert "id utilisateur" not in text and "user id" not in text


def test_a_deleted_uploader_is_not_a_raw_id(http_as, world, in_alpha):
    job = ImportJobFactory(kind="offers", status="done", created_by_id=987654)
    fr = words(http_as(reader(world, "fr")).get(f"{JOBS}{job.pk}/change/").content.decode())
    assert "Déposé par : un ancien utilisateur" in fr.replace("\u00a0", " ") and "987654" not in fr
    en = words(http_as(reader(world, "en")).get(f"{JOBS}{job.pk}/change/").content.decode())
    assert "Uploaded by: a former user" in en and "987654" not in en


def test_the_job_list_names_kinds_and_uploaders_in_a_fixed_number_of_queries(http_as, world, in_alpha):
    admin = http_as(reader(world, "fr"))

    def jobs_page(count: int) -> tuple[str, int]:
        for n in range(count):
            person, _ = user_create_or_update(email=f"p{n}@alpha.test", password=None, full_name=f"Personne {n}")
            ImportJobFactory(
                kind="spend", filename=f"f{n}.csv", status="running", done=1, total=4, created_by_id=person.pk
            )
        with CaptureQueriesContext(connection) as queries:
            page = admin.get(JOBS).content.decode()
        return page, len(queries)

    page, few = jobs_page(2)
    page, many = jobs_page(5)  # seven jobs now, seven uploaders
    assert many == few  # the uploaders are read once for the page, not once per row
    text = words(page)
    assert all(f"Personne {n}" in text for n in range(5))
    assert "Avancement" in text and "25 %" in text and "Percent" not in page
    assert "Déposé par" in text
    # The filter by kind lists the kinds by their names.
    assert ">Dépenses</a>" in page and ">spend</a>" not in page and ">landing_pages</a>" not in page


def test_the_job_list_in_english(http_as, world, in_alpha):
    ImportJobFactory(kind="landing_pages", status="done", created_by_id=world.manager_alpha.pk)
    page = http_as(reader(world, "en")).get(JOBS).content.decode()
    text = words(page)
    assert "Progress" in text and "Uploaded by" in text and "manager@alpha.test" in text
    assert ">Landing pages</a>" in page and ">landing_pages</a>" not in page


def test_the_job_list_page_query_count_is_fixed(http_as, world, in_alpha, django_assert_num_queries):
    for n in range(4):
        ImportJobFactory(kind="offers", filename=f"o{n}.csv", created_by_id=world.manager_alpha.pk)
    admin = http_as(reader(world, "fr"))
    with django_assert_num_queries(QUERIES_JOB_LIST):
        admin.get(JOBS)


@pytest.mark.parametrize(("language", "message"), [("fr", "Non trouvé."), ("en", "Not found.")])
def test_the_api_says_not_found_in_the_readers_language(http_as, world, in_alpha, language, message):
    api = http_as(reader(world, language))
    for url in ("/c/alpha/api/v1/imports/999999/", "/c/alpha/api/v1/imports/999999/rejected/"):
        response = api.get(url)
        assert response.status_code == 404
        assert response.json() == {"detail": message}  # not "No ImportJob matches the given query."


@pytest.mark.parametrize(
    ("language", "reason"),
    [
        ("fr", "ligne 1\u00a0: classeur XLSX illisible\u00a0; enregistrez-le de nouveau depuis Excel"),
        ("en", "line 1: not a readable XLSX workbook; save it again from Excel"),
    ],
)
def test_a_damaged_workbook_says_why_without_a_python_class_name(http_as, world, in_alpha, language, reason):
    admin = http_as(reader(world, language))
    response = admin.post(UPLOAD, {"kind": "offers", "file": SimpleUploadedFile("offers.xlsx", b"PK\x03\x04broken")})
    page = admin.get(response["Location"]).content.decode()
    assert reason in listed_errors(page)[0]
    assert "BadZipFile" not in page
