"""The admin's import screens in French (issue 14): counts with their plural forms, kinds by their names,
the result in words rather than JSON, and a refused file shown as refused (docs/imports.md)."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.imports.jobs import import_job_run
from campaigns.models import ImportJob, Offer

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
