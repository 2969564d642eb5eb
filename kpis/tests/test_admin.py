"""KPI screens of the client admin: snapshots and anomalies browsable, objectives editable through
the services (their snapshots take the target at once), the amber threshold, the refresh log."""

from kpis.models import Objective, Snapshot

ADMIN = "/c/alpha/admin/kpis/"


def test_snapshots_are_browsable_with_filters_and_read_only(http_as, golden, in_alpha):
    admin = http_as(golden.manager_alpha)
    page = admin.get(f"{ADMIN}snapshot/", {"period__exact": "month", "kpi__exact": "leads", "dimension__exact": ""})
    assert page.status_code == 200
    assert page.context["cl"].result_count == 4  # January to April
    flagged = admin.get(f"{ADMIN}snapshot/", {"flagged": "yes"})
    assert flagged.context["cl"].result_count == Snapshot.objects.filter(anomaly__isnull=False).count() > 0
    assert admin.get(f"{ADMIN}snapshot/add/").status_code == 403
    assert admin.get(f"{ADMIN}refreshrun/").status_code == 200


def test_an_objective_saved_in_the_admin_targets_its_snapshots(http_as, golden, in_alpha):
    admin = http_as(golden.manager_alpha)
    response = admin.post(
        f"{ADMIN}objective/add/", {"kpi": "leads", "period": "month", "dimension": "", "key": "", "target": "45"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Objective.objects.get().target == 45
    targets = set(Snapshot.objects.filter(kpi="leads", period="month", dimension="").values_list("target", flat=True))
    assert targets == {45.0}
    refused = admin.post(
        f"{ADMIN}objective/add/",
        {"kpi": "keyword_visits", "period": "month", "dimension": "", "key": "", "target": "5"},
    )
    assert refused.status_code == 200 and "dimension" in refused.context["adminform"].form.errors


def test_sales_and_viewers_never_reach_the_kpi_admin(http_as, golden):
    for user in (golden.sales_alpha, golden.viewer_alpha):
        assert http_as(user).get(f"{ADMIN}objective/").status_code == 403
