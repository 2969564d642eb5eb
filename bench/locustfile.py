"""The virtual users of ``bench/load.py`` (Locust); run by it, not by hand.

``load.py`` seeds the database and writes the plan this file reads (``POULS_LOAD_PLAN``: logins,
tokens, leads, forms). Four kinds of users, each from an address of its own (X-Forwarded-For, as
the TLS proxy in front of Pouls would append it; X-Forwarded-Proto says the visit was HTTPS):

- viewers log in once with the page's form, then read their dashboard page and its charts API;
- KPI readers read ``…/api/v1/kpis/`` with a personal token (12 months, totals or by channel);
- sales people move their own share of the leads between lead, MQL and SQL with a token;
- visitors of the client's website send tracking batches and, now and then, a capture form.

Every answer is checked (status, and that the login landed on the dashboard); anything else is a
failure in Locust's statistics. Never imported by the test suite (Locust patches the standard
library with gevent).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
from datetime import date, timedelta
from pathlib import Path

from capture import submission
from locust import FastHttpUser, between, task
from tracking import event_batch

PLAN = json.loads(Path(os.environ["POULS_LOAD_PLAN"]).read_text(encoding="utf-8"))
WAIT = between(PLAN["wait"][0], PLAN["wait"][1])
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_addresses = itertools.count(1)
_sales = itertools.count()
_capture_recent: list[str] = []
_capture_lock = threading.Lock()


def _address() -> str:
    n = next(_addresses)
    return f"10.77.{n // 250}.{n % 250 + 1}"


def _visitor() -> str:
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


def _twelve_months() -> str:
    today = date.today()
    return f"from={(today - timedelta(days=365)).isoformat()}&to={today.isoformat()}"


class PoulsUser(FastHttpUser):
    abstract = True
    wait_time = WAIT

    def on_start(self) -> None:
        self.address = _address()

    def headers(self, **extra: str) -> dict[str, str]:
        return {"X-Forwarded-For": self.address, "X-Forwarded-Proto": "https", **extra}

    def expect(self, response, status: int) -> None:
        if response.status_code != status:
            response.failure(f"{response.status_code} instead of {status}: {(response.text or '')[:200]}")


class Viewer(PoulsUser):
    """A client's viewer: logs in once, then reads the dashboard (page, and charts for other periods)."""

    weight = 4

    def on_start(self) -> None:
        super().on_start()
        login = random.choice(PLAN["viewers"])
        self.slug = login["slug"]
        page = self.client.get("/accounts/login/", headers=self.headers(), name="/accounts/login/ (form)")
        token = CSRF_INPUT.search(page.text or "")
        with self.client.post(
            "/accounts/login/",
            data={
                "username": login["email"],
                "password": login["password"],
                "next": f"/c/{self.slug}/",
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            headers=self.headers(Origin=f"https://{self.host.split('://', 1)[1]}"),
            name="/accounts/login/ (sign in)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # Signed in: a redirect to the dashboard (a wrong password answers the form again, 200).
            location = (response.headers or {}).get("Location", "")
            if response.status_code != 302 or not location.endswith(f"/c/{self.slug}/"):
                response.failure(f"login answered {response.status_code} (Location {location!r})")

    @task(1)
    def dashboard_page(self) -> None:
        with self.client.get(
            f"/c/{self.slug}/", headers=self.headers(), name="/c/[slug]/ (dashboard page)", catch_response=True
        ) as response:
            self.expect(response, 200)

    @task(3)
    def dashboard_api(self) -> None:
        query = random.choice(["", "?period=week&range=this", "?period=quarter&range=last", "?period=month&range=this"])
        with self.client.get(
            f"/c/{self.slug}/api/v1/dashboard/{query}",
            headers=self.headers(),
            name="/c/[slug]/api/v1/dashboard/",
            catch_response=True,
        ) as response:
            self.expect(response, 200)


class KpiReader(PoulsUser):
    """A script of the agency or of the client reading KPIs with a personal token."""

    weight = 2

    def on_start(self) -> None:
        super().on_start()
        self.reader = random.choice(PLAN["kpi_readers"])

    @task
    def kpis(self) -> None:
        slug = random.choice(self.reader["slugs"])
        extra = random.choice(["", "&kpi=leads&kpi=mqls&dimension=channel", "&kpi=cost_per_lead&dimension=campaign"])
        with self.client.get(
            f"/c/{slug}/api/v1/kpis/?period=month&{_twelve_months()}{extra}",
            headers=self.headers(Authorization=f"Token {self.reader['token']}"),
            name="/c/[slug]/api/v1/kpis/?period=month",
            catch_response=True,
        ) as response:
            self.expect(response, 200)


class Sales(PoulsUser):
    """A salesperson moving leads of their own share between stages (every move is a valid one)."""

    weight = 2

    def on_start(self) -> None:
        super().on_start()
        sales = PLAN["sales"]
        share = next(_sales) % PLAN["sales_users"]
        self.slug, self.token = sales["slug"], sales["token"]
        # Each virtual salesperson has leads of its own, so the stage it knows is the lead's stage (when
        # two share leads, a move to the stage a lead already has is still a valid one: nothing to do).
        leads = list(sales["leads"].items())
        self.leads = {int(pk): stage for pk, stage in leads[share :: PLAN["sales_users"]] or leads}

    @task
    def move(self) -> None:
        pk = random.choice(list(self.leads))
        to = random.choice([stage for stage in ("lead", "mql", "sql") if stage != self.leads[pk]])
        with self.client.post(
            f"/c/{self.slug}/api/v1/leads/{pk}/move/",
            json={"to": to},
            headers=self.headers(Authorization=f"Token {self.token}"),
            name="/c/[slug]/api/v1/leads/[id]/move/",
            catch_response=True,
        ) as response:
            self.expect(response, 200)
            if response.status_code == 200:
                self.leads[pk] = to


class Visitor(PoulsUser):
    """People on the client's website: tracking beacons, and a form submitted now and then (each from
    an address of their own; a share of them submit an email again)."""

    weight = 2

    @task(3)
    def track(self) -> None:
        slug = random.choice(PLAN["slugs"])
        with self.client.post(
            f"/c/{slug}/track/",
            data=event_batch(random.randint(1, 10)),
            headers={**self.headers(**{"Content-Type": "text/plain;charset=UTF-8"}), "X-Forwarded-For": _visitor()},
            name="/c/[slug]/track/",
            catch_response=True,
        ) as response:
            self.expect(response, 204)

    @task(1)
    def capture(self) -> None:
        form = random.choice(PLAN["forms"])
        _email, body = submission(_capture_recent, _capture_lock, PLAN["capture_repeat"])
        with self.client.post(
            f"/c/{form['slug']}/capture/{form['key']}/",
            data=body,
            headers={
                **self.headers(
                    **{"Content-Type": "application/json", "Accept": "application/json", "Origin": form["origin"]}
                ),
                "X-Forwarded-For": _visitor(),
            },
            name="/c/[slug]/capture/[form]/",
            catch_response=True,
        ) as response:
            self.expect(response, 201)
