"""Every Pouls task runs under a soft and a hard time limit (its own, or the settings' default), so no
client's work can hold a worker without end (issue 18: "give every per-client task a time limit")."""

from __future__ import annotations

from config.celery import app


def _pouls_tasks():
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def test_every_task_has_a_soft_and_a_hard_time_limit_the_soft_one_first():
    tasks = _pouls_tasks()
    assert {"reports.deliver", "alerts.deliver", "campaigns.import_job_run", "kpis.refresh_batch"} <= set(tasks)
    limits = {
        name: (task.soft_time_limit or app.conf.task_soft_time_limit, task.time_limit or app.conf.task_time_limit)
        for name, task in tasks.items()
    }
    unlimited = sorted(name for name, (soft, hard) in limits.items() if not soft or not hard)
    assert unlimited == []
    assert sorted(name for name, (soft, hard) in limits.items() if soft >= hard) == []
