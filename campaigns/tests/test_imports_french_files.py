"""French files (issue 14, docs/imports.md): a leads file as French Excel writes it — ';', day-first
dates, amounts with a decimal comma and spaces as thousands separators, UTF-8 with a BOM or
Windows-1252, or XLSX — imports cleanly from the command, the admin form and the API. Day-first is
the rule of a French client only; the preview shows how dates were read and which keys it would
create; each kind has a template that imports as it is; every message a file can produce is worded
in the reader's language."""

from __future__ import annotations

import csv
import html
import io
import zoneinfo
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook, load_workbook

from campaigns.imports import cells
from campaigns.imports.cells import CellError
from campaigns.imports.jobs import import_job_create, import_job_run
from campaigns.imports.reader import table_read
from campaigns.imports.runner import ImportRejected, import_check, import_kinds, import_run
from campaigns.models import Campaign, ImportJob, Offer
from campaigns.tests.test_imports import run_import
from config.errors import DomainError
from leads.models import Lead

FRENCH = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "french-excel"
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
UPLOAD = "/c/alpha/admin/campaigns/importjob/upload/"
API = "/c/alpha/api/v1/imports/"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def assert_french_leads_imported() -> None:
    """The five leads of tests/fixtures/french-excel, read day first, accents and amounts intact."""
    leads = {lead.email: lead for lead in Lead.objects.all()}
    assert len(leads) == 5
    helene = leads["helene.dupont@exemple.fr"]
    assert (helene.first_name, helene.company) == ("Hélène", "Société Générale d'Études")
    assert helene.created_at == datetime(2026, 2, 3, 10, 15, tzinfo=PARIS)  # 3 February: day first
    assert helene.mql_at == datetime(2026, 2, 4, 9, 0, tzinfo=PARIS)
    francois = leads["francois.lefevre@exemple.fr"]
    assert (francois.last_name, francois.company) == ("Lefèvre", "Café Œuvre & Cie")
    assert francois.deal_value == Decimal("12500.00")
    assert francois.customer_at == datetime(2026, 3, 2, 16, 0, tzinfo=PARIS)
    assert leads["chloe.martin@exemple.fr"].created_at == datetime(2026, 3, 21, 0, 0, tzinfo=PARIS)
    assert leads["noel.garcon@exemple.fr"].deal_value == Decimal("1250.50")
    assert leads["agnes.roux@exemple.fr"].deal_value == Decimal("1250.50")
    assert list(Campaign.objects.values_list("key", flat=True)) == ["search-marque"]


def french_xlsx(*, typed_dates: bool) -> bytes:
    """The fixture's rows in a workbook; with ``typed_dates`` the dates are date cells, as Excel
    stores the dates typed in a French sheet, else the day-first text."""
    text = (FRENCH / "leads-utf8-bom.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(rows[0])
    for row in rows[1:]:
        values = []
        for column, value in zip(rows[0], row, strict=True):
            if typed_dates and column.endswith("_at") and value:
                values.append(cells.instant(value, PARIS, True).replace(tzinfo=None))
            else:
                values.append(value or None)
        sheet.append(values)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- the files French Excel writes ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["leads-utf8-bom.csv", "leads-cp1252.csv"])
def test_a_french_excel_csv_imports_cleanly_with_the_command(in_alpha, name):
    code, out, err = run_import(FRENCH / name, "leads")
    assert code == 0, err
    assert out.startswith("leads: 5 rows, 5 created")
    assert_french_leads_imported()


def test_the_windows_1252_file_is_not_utf_8_and_reads_the_same_as_the_utf_8_one(in_alpha):
    cp1252 = (FRENCH / "leads-cp1252.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        cp1252.decode("utf-8")
    utf8 = table_read((FRENCH / "leads-utf8-bom.csv").read_bytes())
    legacy = table_read(cp1252)
    assert legacy.header == utf8.header
    # the same cells but the thousands separator (a no-break space: cp1252 has no narrow one)
    assert [[c.replace("\u202f", "\xa0") for c in cells_] for _l, cells_ in utf8.rows] == [c for _l, c in legacy.rows]


@pytest.mark.parametrize("typed_dates", [False, True], ids=["dates-as-text", "date-cells"])
def test_a_french_xlsx_imports_cleanly_with_the_command(in_alpha, tmp_path, typed_dates):
    path = tmp_path / "leads.xlsx"
    path.write_bytes(french_xlsx(typed_dates=typed_dates))
    code, out, err = run_import(path, "leads")
    assert code == 0, err
    assert_french_leads_imported()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("leads-cp1252.csv", lambda: (FRENCH / "leads-cp1252.csv").read_bytes()),
        ("leads.xlsx", lambda: french_xlsx(typed_dates=True)),
    ],
)
def test_the_admin_form_previews_and_imports_a_french_file(http_as, world, in_alpha, name, content):
    admin = http_as(world.manager_alpha)
    response = admin.post(UPLOAD, {"kind": "leads", "file": SimpleUploadedFile(name, content(), XLSX_TYPE)})
    assert response.status_code == 302
    page = admin.get(response["Location"]).content.decode()
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DRAFT and job.language == "fr"
    assert "5 lignes dans le fichier" in page
    assert "Hélène" in page and "Café Œuvre &amp; Cie" in page
    # how the first date was read, and what the import would create, before anything is written
    assert "created_at\u00a0: «\u00a003/02/2026 10:15\u00a0» lu comme 3 février 2026 10:15 (Europe/Paris)" in page or (
        "created_at\u00a0: «\u00a02026-02-03T10:15:00\u00a0» lu comme 3 février 2026 10:15 (Europe/Paris)" in page
    )
    assert "1 nouvelle campagne sera créée\u00a0: search-marque" in page
    assert "1 nouvelle offre sera créée\u00a0: ebook-kpi" in page
    assert not Lead.objects.exists() and not Campaign.objects.exists()
    admin.post(f"/c/alpha/admin/campaigns/importjob/{job.pk}/confirm/")
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.errors
    assert job.result["created_keys"] == {"campaign": ["search-marque"], "offer": ["ebook-kpi"]}
    assert_french_leads_imported()
    finished = admin.get(f"/c/alpha/admin/campaigns/importjob/{job.pk}/change/").content.decode()
    assert "5 lignes lues" in finished
    assert "créés à la volée (campagnes)\u00a0: search-marque" in finished
    assert "créés à la volée (offres)\u00a0: ebook-kpi" in finished
    assert "<progress" not in finished and "0/0" not in finished
    assert "écriture" in finished and ">write<" not in finished  # the last phase, in words


@pytest.mark.parametrize(
    ("name", "content_type", "content"),
    [
        ("leads.xlsx", XLSX_TYPE, lambda: french_xlsx(typed_dates=False)),
        ("leads.xlsx", "application/octet-stream", lambda: french_xlsx(typed_dates=True)),
        ("leads.csv", "text/csv", lambda: (FRENCH / "leads-cp1252.csv").read_bytes()),
        ("export", "application/vnd.ms-excel", lambda: (FRENCH / "leads-utf8-bom.csv").read_bytes()),
    ],
)
def test_the_api_imports_a_french_file_whatever_its_content_type(http_as, world, in_alpha, name, content_type, content):
    manager = http_as(world.manager_alpha)
    upload = SimpleUploadedFile(name, content(), content_type)
    response = manager.post(API, {"kind": "leads", "file": upload})
    assert response.status_code == 202, response.content
    import_job_run(job_id=response.json()["id"])
    job = manager.get(f"{API}{response.json()['id']}/").json()
    assert job["status"] == "done", job["errors"]
    assert job["result"]["created"] == 5
    assert_french_leads_imported()


def test_an_upload_larger_than_the_limit_is_refused_by_the_form_and_the_service(http_as, world, in_alpha, monkeypatch):
    monkeypatch.setattr("campaigns.imports.jobs.MAX_UPLOAD_BYTES", 10)
    monkeypatch.setattr("campaigns.imports.admin.MAX_UPLOAD_BYTES", 10)
    page = http_as(world.manager_alpha).post(
        UPLOAD, {"kind": "offers", "file": SimpleUploadedFile("o.csv", b"key,name\nebook,Ebook\n")}
    )
    assert page.status_code == 200 and "Le fichier dépasse 50 Mo." in page.content.decode()
    with translation.override("en"), pytest.raises(DomainError, match="larger than 50 MB"):
        import_job_create(kind="offers", data=b"key,name\nebook,Ebook\n", filename="o.csv", partial=False)
    assert not ImportJob.objects.exists()


# --- dates and numbers: cells.py ------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["1 250,50", "1\u00a0250,50", "1\u202f250,50", "1250,50", "1250.50", " 1250,5 "])
def test_amounts_as_people_type_them(typed):
    assert cells.amount(typed) == Decimal("1250.50")


def test_a_point_is_never_a_thousands_separator():
    with translation.override("en"), pytest.raises(CellError, match="'1.250,50' is not a number"):
        cells.amount("1.250,50")


def test_day_first_dates_and_instants():
    assert cells.day("01/12/2026", True) == date(2026, 12, 1)
    assert cells.day("1/2/2026", True) == date(2026, 2, 1)
    assert cells.day("2026-12-01", True) == cells.day("2026-12-01") == date(2026, 12, 1)
    assert cells.instant("01/12/2026 10:15", PARIS, True) == datetime(2026, 12, 1, 10, 15, tzinfo=PARIS)
    assert cells.instant("01/12/2026 10:15:30", PARIS, True) == datetime(2026, 12, 1, 10, 15, 30, tzinfo=PARIS)
    assert cells.instant("01/12/2026", PARIS, True) == datetime(2026, 12, 1, tzinfo=PARIS)
    assert cells.instant("2026-12-01T10:15", PARIS, True) == datetime(2026, 12, 1, 10, 15, tzinfo=PARIS)
    with translation.override("en"):
        for bad in ("31/02/2026", "01/13/2026", "01/12/26", "01/12/2026 25:00"):
            with pytest.raises(CellError, match="DD/MM/YYYY"):
                cells.instant(bad, PARIS, True)
        with pytest.raises(CellError, match=r"'01/12/2026' is ambiguous: write dates as YYYY-MM-DD"):
            cells.day("01/12/2026", False)
        with pytest.raises(CellError, match=r"'01/12/2026 10:15' is ambiguous: write dates as YYYY-MM-DD"):
            cells.instant("01/12/2026 10:15", PARIS, False)


def test_the_client_language_decides_day_first(db, world, in_client):
    body = b"date,campaign,amount\n03/02/2026,search,10\n2026-02-04,search,5\n"
    in_client(world.alpha)  # a French agency's client: 3 February
    checked = import_check(kind="spend", data=body)
    assert not checked.errors and [r["date"] for r in checked.valid] == [date(2026, 2, 3), date(2026, 2, 4)]
    in_client(world.gamma)  # an English agency's client: ISO only, a slashed date is ambiguous
    with translation.override("en"):
        checked = import_check(kind="spend", data=body)
    assert checked.errors == ["line 2, column date: '03/02/2026' is ambiguous: write dates as YYYY-MM-DD"]
    assert [r["date"] for r in checked.valid] == [date(2026, 2, 4)]


def test_written_cells_read_back_as_the_same_values():
    for first in (True, False):
        assert cells.day(cells.written(date(2026, 2, 3), first), first) == date(2026, 2, 3)
        moment = datetime(2026, 2, 3, 10, 15, tzinfo=PARIS)
        assert cells.instant(cells.written(moment.replace(tzinfo=None), first), PARIS, first) == moment
        assert cells.amount(cells.written(Decimal("12500.5"), first)) == Decimal("12500.50")
    assert cells.written(Decimal("12500.5"), True) == "12 500,50"
    assert cells.written(date(2026, 2, 3), True) == "03/02/2026"


# --- messages in the reader's language --------------------------------------------------------------

# (file, English message, French message): every message a file can produce, through import_check.
FILE_MESSAGES = [
    (b"\n\nkey,name\n", "line 1: the header row is missing", "ligne 1\u00a0: la ligne d'en-tête manque"),
    (
        b"key,name\nok,Caf\xe9\nbad,\x81\n",
        "line 3: byte 0x81 is neither UTF-8 nor Windows-1252 text; save the file as CSV UTF-8",
        "ligne 3\u00a0: l'octet 0x81 n'est ni du texte UTF-8 ni du Windows-1252\u00a0; "
        "enregistrez le fichier en CSV UTF-8",
    ),
    (
        b"PK\x03\x04not a workbook",
        "line 1: not a readable XLSX workbook; save it again from Excel as a workbook (.xlsx) or as CSV UTF-8",
        "ligne 1\u00a0: classeur XLSX illisible\u00a0; enregistrez-le de nouveau depuis Excel en classeur (.xlsx) "
        "ou en CSV UTF-8",
    ),
]


@pytest.mark.parametrize(("data", "english", "french"), FILE_MESSAGES)
def test_a_file_refused_whole_says_why_in_both_languages(in_alpha, data, english, french):
    for language, expected in (("en", english), ("fr", french)):
        with translation.override(language), pytest.raises(DomainError) as refused:
            import_check(kind="offers", data=data)
        assert refused.value.message == expected


# (kind, file, English line error, French line error)
LINE_MESSAGES = [
    (
        "offers",
        b"key\nx\n",
        "line 1, column name: required column missing",
        "ligne 1, colonne name\u00a0: colonne obligatoire absente",
    ),
    (
        "offers",
        b"key,name\nx,\n",
        "line 2, column name: a value is required",
        "ligne 2, colonne name\u00a0: une valeur est requise",
    ),
    (
        "offers",
        b"key,name,kind\nx,X,book\n",
        "line 2, column kind: unknown kind 'book' (one of ebook, webinar, demo, trial, newsletter, event, other)",
        "ligne 2, colonne kind\u00a0: type «\u00a0book\u00a0» inconnu "
        "(parmi ebook, webinar, demo, trial, newsletter, event, other)",
    ),
    (
        "offers",
        b"key,name\nx,X\nx,Y\n",
        "line 3, column key: same key as line 2",
        "ligne 3, colonne key\u00a0: mêmes valeurs de key qu'à la ligne 2",
    ),
    (
        "offers",
        b"key,name\nx," + b"a" * 201 + b"\n",
        "line 2, column name: longer than 200 characters",
        "ligne 2, colonne name\u00a0: plus de 200 caractères",
    ),
    (
        "offers",
        b"key,name\nx,a\x00b\n",
        "line 2, column name: contains a NUL character",
        "ligne 2, colonne name\u00a0: contient un caractère NUL",
    ),
    (
        "traffic",
        b"date,visits,channel\n2026-01-01,1,telepathy\n",
        "line 2, column channel: unknown channel 'telepathy'",
        "ligne 2, colonne channel\u00a0: canal «\u00a0telepathy\u00a0» inconnu",
    ),
    (
        "traffic",
        b"date,visits\n2026-01-01,lots\n",
        "line 2, column visits: 'lots' is not a whole number",
        "ligne 2, colonne visits\u00a0: «\u00a0lots\u00a0» n'est pas un nombre entier",
    ),
    (
        "traffic",
        b"date,visits\n2026-01-01,-3\n",
        "line 2, column visits: cannot be negative",
        "ligne 2, colonne visits\u00a0: ne peut pas être négatif",
    ),
    (
        "spend",
        b"date,campaign,amount\n2026-01-01,x,oops\n",
        "line 2, column amount: 'oops' is not a number",
        "ligne 2, colonne amount\u00a0: «\u00a0oops\u00a0» n'est pas un nombre",
    ),
    (
        "spend",
        b"date,campaign,amount\n31/02/2026,x,1\n",
        "line 2, column date: '31/02/2026' is not a date (DD/MM/YYYY or YYYY-MM-DD)",
        "ligne 2, colonne date\u00a0: «\u00a031/02/2026\u00a0» n'est pas une date (JJ/MM/AAAA ou AAAA-MM-JJ)",
    ),
    (
        "leads",
        b"email,created_at\npas-un-email,2026-01-01T10:00\n",
        "line 2, column email: 'pas-un-email' is not a valid email address",
        "ligne 2, colonne email\u00a0: «\u00a0pas-un-email\u00a0» n'est pas une adresse e-mail valide",
    ),
    (
        "leads",
        b"email,created_at\na@b.fr,hier\n",
        "line 2, column created_at: 'hier' is not a date and time (DD/MM/YYYY HH:MM or ISO 8601)",
        "ligne 2, colonne created_at\u00a0: «\u00a0hier\u00a0» n'est pas une date et heure "
        "(JJ/MM/AAAA HH:MM ou ISO 8601)",
    ),
]


@pytest.mark.parametrize(("kind", "data", "english", "french"), LINE_MESSAGES)
def test_every_line_error_in_english_and_in_french(in_alpha, kind, data, english, french):
    for language, expected in (("en", english), ("fr", french)):
        with translation.override(language):
            try:
                errors = import_check(kind=kind, data=data).errors
            except ImportRejected as exc:
                errors = exc.errors
        assert errors == [expected]


def test_english_client_messages_name_the_iso_formats(db, world, in_client):
    in_client(world.gamma)
    for language, day_error, instant_error in (
        ("en", "'2026/01/01' is not a date (YYYY-MM-DD)", "'hier' is not an ISO 8601 timestamp"),
        (
            "fr",
            "«\u00a02026/01/01\u00a0» n'est pas une date (AAAA-MM-JJ)",
            "«\u00a0hier\u00a0» n'est pas une date et heure ISO 8601",
        ),
    ):
        with translation.override(language):
            assert (
                import_check(kind="spend", data=b"date,campaign,amount\n2026/01/01,x,1\n").errors[0].endswith(day_error)
            )
            assert import_check(kind="leads", data=b"email,created_at\na@b.fr,hier\n").errors[0].endswith(instant_error)


def test_warnings_the_more_line_and_the_summary_in_both_languages(in_alpha):
    bad = b"date,campaign,amount\n" + b"".join(b"2026-01-01,x,-%d\n" % (i + 1) for i in range(103))
    with translation.override("en"):
        assert import_check(kind="offers", data=b"key,name,colour\nx,X,red\n").warnings == [
            "column colour is not used by offers imports and was ignored"
        ]
        with pytest.raises(ImportRejected) as refused:
            import_run(kind="spend", data=bad)
        assert refused.value.message.endswith("\n… and 3 more")
        with pytest.raises(DomainError, match=r"Unknown kind 'planets' \(one of campaigns, "):
            import_check(kind="planets", data=b"a\n")
        with pytest.raises(DomainError, match=r"^The file is empty\.$"):
            import_job_create(kind="offers", data=b"", filename="o.csv", partial=False)
    with translation.override("fr"):
        assert import_check(kind="offers", data=b"key,name,colour\nx,X,red\n").warnings == [
            "la colonne colour ne sert pas aux imports offers\u00a0: elle a été ignorée"
        ]
        with pytest.raises(ImportRejected) as refused:
            import_run(kind="spend", data=bad)
        assert refused.value.message.endswith("\n… et 3 de plus")
        with pytest.raises(DomainError, match=r"Type de fichier «\u00a0planets\u00a0» inconnu \(parmi campaigns, "):
            import_check(kind="planets", data=b"a\n")
        with pytest.raises(DomainError, match=r"^Le fichier est vide\.$"):
            import_job_create(kind="offers", data=b"", filename="o.csv", partial=False)
        summary = import_run(
            kind="spend", data=b"date,campaign,amount\n2026-01-01,x,1\n2026-01-02,x,-1\n", partial=True
        )
        assert summary.summary() == (
            "spend — lignes\u00a0: 2, créées\u00a0: 1, mises à jour\u00a0: 0, inchangées\u00a0: 0; "
            "créés à la volée (campaign)\u00a0: x; 1 ligne refusée"
        )


def test_a_job_speaks_the_language_it_was_started_in(http_as, world, in_alpha):
    """alpha's manager reads French (the agency's), but an upload made in English gets English errors."""
    manager = http_as(world.manager_alpha)
    manager.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the language switch's choice
    body = SimpleUploadedFile("spend.csv", b"date,campaign,amount\n2026-01-01,x,oops\n", "text/csv")
    response = manager.post(API, {"kind": "spend", "file": body})
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert job.language == "en"
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.errors == ["line 2, column amount: 'oops' is not a number"]


# --- the preview's warnings -----------------------------------------------------------------------


def test_the_preview_warns_of_every_key_it_would_create_and_confirming_creates_them(http_as, world, in_alpha):
    Campaign.objects.create(key="search-marque", name="Search marque")
    admin = http_as(world.manager_alpha)
    body = b"date,campaign,amount\n2026-01-01,search-marque,1\n2026-01-01,search-marq,2\n2026-01-01,serch-marque,3\n"
    response = admin.post(UPLOAD, {"kind": "spend", "file": SimpleUploadedFile("spend.csv", body)})
    page = admin.get(response["Location"]).content.decode()
    assert "2 nouvelles campagnes seront créées\u00a0: search-marq, serch-marque" in page
    assert "date\u00a0: «\u00a02026-01-01\u00a0» lu comme 1 janvier 2026" in page
    assert Campaign.objects.count() == 1  # nothing yet
    job = ImportJob.objects.get()
    admin.post(f"/c/alpha/admin/campaigns/importjob/{job.pk}/confirm/")
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.result["created_keys"] == {"campaign": ["search-marq", "serch-marque"]}
    assert Campaign.objects.count() == 3


def test_an_english_preview_reads_dates_in_english(http_as, world, in_client):
    in_client(world.gamma)
    owner = http_as(world.other_owner)
    body = b"email,created_at\nann@x.test,2026-02-03T10:15\n"
    response = owner.post(
        "/c/gamma/admin/campaigns/importjob/upload/", {"kind": "leads", "file": SimpleUploadedFile("l.csv", body)}
    )
    page = owner.get(response["Location"]).content.decode()
    assert "created_at: “2026-02-03T10:15” read as Feb. 3, 2026, 10:15 a.m. (Europe/Paris)" in page


# --- templates ------------------------------------------------------------------------------------

QUERIES_UPLOAD_PAGE, QUERIES_TEMPLATE = 8, 7
ORDER = ["campaigns", "offers", "landing_pages", "spend", "traffic", "cta", "keywords", "emails", "metrics", "leads"]


def template(admin, slug: str, kind: str, fmt: str) -> bytes:
    response = admin.get(f"/c/{slug}/admin/campaigns/importjob/template/{kind}.{fmt}")
    assert response.status_code == 200
    assert f'filename="{kind}-template.{fmt}"' in response["Content-Disposition"]
    return response.content


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_template_imports_as_it_is_for_a_french_client(http_as, world, in_alpha, fmt):
    admin = http_as(world.manager_alpha)
    assert sorted(ORDER) == sorted(import_kinds())
    for kind in ORDER:
        data = template(admin, "alpha", kind, fmt)
        spec = import_kinds()[kind]
        table = table_read(data)
        assert table.header == list(spec.columns)
        assert len(table.rows) == 1
        if fmt == "csv":
            assert data.startswith(b"\xef\xbb\xbf") and data[3:].split(b"\r\n")[0] == ";".join(spec.columns).encode()
        result = import_run(kind=kind, data=data)
        assert (result.rows, result.written.created, result.errors) == (1, 1, []), kind
    csv_row = template(admin, "alpha", "spend", "csv").decode("utf-8-sig").splitlines()[1]
    if fmt == "csv":
        assert csv_row == "15/01/2026;search-brand;1 250,50"
    lead = Lead.objects.get()
    assert lead.created_at == datetime(2026, 1, 15, 10, 15, tzinfo=PARIS) and lead.deal_value == Decimal("1250.50")
    assert Offer.objects.get().key == "ebook-kpi"


def test_an_english_client_gets_iso_templates_that_import(http_as, world, in_client):
    in_client(world.gamma)
    owner = http_as(world.other_owner)
    data = template(owner, "gamma", "spend", "csv")
    assert data == b"date,campaign,amount\r\n2026-01-15,search-brand,1250.50\r\n"
    assert import_run(kind="spend", data=data).written.created == 1
    workbook = load_workbook(io.BytesIO(template(owner, "gamma", "leads", "xlsx")))
    assert workbook.sheetnames == ["leads", "Columns"]
    notes = {row[0]: row[1] for row in workbook["Columns"].iter_rows(min_row=2, values_only=True)}
    assert notes["email"] == "yes" and notes["phone"] == "no"


def test_the_form_says_which_columns_each_kind_needs_and_links_its_templates(
    http_as, world, in_alpha, django_assert_num_queries
):
    admin = http_as(world.manager_alpha)
    admin.get(UPLOAD)  # the session's first request loads what later ones find cached
    # the admin's session, user, roles and menu; the kinds' columns come from code, not the database
    with django_assert_num_queries(QUERIES_UPLOAD_PAGE):
        page = admin.get(UPLOAD).content.decode()
    with django_assert_num_queries(QUERIES_TEMPLATE):  # the same, and the client's language (its agency's)
        admin.get("/c/alpha/admin/campaigns/importjob/template/leads.xlsx")
    assert "Colonnes obligatoires" in page and "Colonnes facultatives" in page
    assert "<td>Dépenses</td>\n    <td>date, campaign, amount</td>" in page
    for kind in import_kinds():
        for fmt in ("csv", "xlsx"):
            assert f'href="/c/alpha/admin/campaigns/importjob/template/{kind}.{fmt}"' in page
    assert admin.get("/c/alpha/admin/campaigns/importjob/template/planets.csv").status_code == 404
    assert admin.get("/c/alpha/admin/campaigns/importjob/template/spend.pdf").status_code == 404
    assert http_as(world.viewer_alpha).get("/c/alpha/admin/campaigns/importjob/template/spend.csv").status_code != 200


# --- the API's dry run ------------------------------------------------------------------------------


def test_the_api_dry_run_says_what_a_file_would_do_and_writes_nothing(http_as, world, in_alpha):
    Campaign.objects.create(key="search-marque", name="Search marque")
    manager = http_as(world.manager_alpha)
    body = (FRENCH / "leads-cp1252.csv").read_bytes().replace(b";search-marque;", b";search-marq;", 1)
    upload = SimpleUploadedFile("leads.csv", body, "text/csv")
    answer = manager.post(API, {"kind": "leads", "file": upload, "dry_run": "true"})
    assert answer.status_code == 200, answer.content
    assert answer.json() == {
        "kind": "leads",
        "rows": 5,
        "errors": [],
        "rejected_count": 0,
        "refused": False,
        "warnings": [],
        "would_create": {"campaign": ["search-marq"], "offer": ["ebook-kpi"]},
    }
    refused = manager.post(
        API,
        {
            "kind": "spend",
            "file": SimpleUploadedFile("s.csv", b"date,campaign,amount\n2026-01-01,x,oops\n"),
            "dry_run": "1",
        },
    ).json()
    assert refused["refused"] is True and refused["errors"] == [
        "ligne 2, colonne amount\u00a0: «\u00a0oops\u00a0» n'est pas un nombre"
    ]
    unreadable = manager.post(API, {"kind": "offers", "file": SimpleUploadedFile("o.csv", b"\n"), "dry_run": "1"})
    assert unreadable.json()["errors"] == ["ligne 1\u00a0: la ligne d'en-tête manque"]
    assert not ImportJob.objects.exists() and not Lead.objects.exists()
    assert list(Campaign.objects.values_list("key", flat=True)) == ["search-marque"]


def test_the_command_speaks_its_language(in_alpha, tmp_path):
    path = tmp_path / "offers.csv"
    path.write_text("key,name,colour\nx,\n", encoding="utf-8")
    code, _out, err = run_import(path, "offers", language="fr")
    assert code == 1
    assert f"{path}\u00a0: refusé, rien n'a été écrit (1 ligne invalide)\u00a0:" in err
    assert "ligne 2, colonne name\u00a0: une valeur est requise" in err
    path.write_text("key,name,colour\nx,X,red\n", encoding="utf-8")
    code, out, err = run_import(path, "offers", language="fr")
    assert code == 0
    assert "avertissement\u00a0: la colonne colour ne sert pas aux imports offers\u00a0: elle a été ignorée" in err
    # counts after their words: no plural to get wrong
    assert out.strip() == "offers — lignes\u00a0: 1, créées\u00a0: 1, mises à jour\u00a0: 0, inchangées\u00a0: 0"
    _code, _out, err = run_import(path, "offers", language="en")
    assert err.startswith("warning: column colour is not used by offers imports and was ignored")


def test_a_rejected_job_shows_no_progress(http_as, world, in_alpha):
    admin = http_as(world.manager_alpha)
    body = SimpleUploadedFile("spend.csv", b"date,campaign,amount\n2026-01-01,x,oops\n")
    page = admin.get(admin.post(UPLOAD, {"kind": "spend", "file": body})["Location"]).content.decode()
    assert ImportJob.objects.get().status == ImportJob.Status.REJECTED
    assert "<progress" not in page and "100 %" not in page and "0/0" not in page
    assert "ligne 2, colonne amount\u00a0: «\u00a0oops\u00a0» n'est pas un nombre" in html.unescape(page)
