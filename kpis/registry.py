"""Every KPI of the product, defined once (docs/kpis.md §4). The report, the refresh, the API, the
admin and the dashboards read their names, formulas, dimensions and directions from here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

DEFINITION_VERSION = 2  # 2: daily facts cut at the local date of as-of (docs/kpis.md §1)


class Unit(StrEnum):
    COUNT = "count"
    MONEY = "money"
    RATE = "rate"  # a fraction in [0, 1]; the UI shows a percentage
    RATIO = "ratio"  # a fraction that may leave [0, 1] (growth, ROI)


class Better(StrEnum):
    UP = "up"
    DOWN = "down"
    NONE = "none"  # an input (spend) or a mix (shares): no status against a target


class Family(StrEnum):
    ACQUISITION = "acquisition"
    CONVERSION = "conversion"
    CONTENT = "content"
    EMAIL = "email"
    QUALIFICATION = "qualification"
    CUSTOM = "custom"  # a client's own KPIs (kpis.models.CustomKPI)


DIMENSIONS = ("channel", "campaign", "offer", "landing_page", "keyword", "cta", "email")
# What a person reads for each dimension (the admin's lists, filters and forms show these, never the keys).
DIMENSION_LABELS = {
    "channel": _("Channel"),
    "campaign": _("Campaign"),
    "offer": _("Offer"),
    "landing_page": _("Landing page"),
    "keyword": _("Keyword"),
    "cta": _("Call to action"),
    "email": _("Email send"),
}


@dataclass(frozen=True)
class KPI:
    key: str
    family: Family
    name_fr: str
    name_en: str
    seed: str  # the wording of the brief the KPI answers
    formula: object  # lazily translated text shown on every chart
    unit: Unit
    better: Better
    dimensions: tuple[str, ...] = ()
    dimension_required: bool = False
    version: int = DEFINITION_VERSION

    def name(self, language: str | None) -> str:
        """The KPI's name in ``language`` (French for ``fr``, English otherwise)."""
        return self.name_fr if language == "fr" else self.name_en


REGISTRY: tuple[KPI, ...] = (
    KPI(
        "leads",
        Family.ACQUISITION,
        "Leads générés",
        "Leads generated",
        "Nombre de leads générés; Leads générés par offre",
        _("Leads created in the period."),
        Unit.COUNT,
        Better.UP,
        ("channel", "campaign", "offer", "landing_page"),
    ),
    KPI(
        "visits",
        Family.ACQUISITION,
        "Trafic",
        "Visits",
        "Trafic",
        _("Visits in the period."),
        Unit.COUNT,
        Better.UP,
        ("channel", "landing_page"),
    ),
    KPI(
        "visit_to_lead_rate",
        Family.ACQUISITION,
        "Taux de conversion visiteurs → leads",
        "Visit-to-lead rate",
        "Taux de conversion de visiteurs en leads; Taux de nouveaux leads par landing page",
        _("Leads ÷ visits, same period and key."),
        Unit.RATE,
        Better.UP,
        ("channel", "landing_page"),
    ),
    KPI(
        "spend",
        Family.ACQUISITION,
        "Dépenses",
        "Spend",
        "(sert au calcul du CPL et du ROI)",
        _("Ad spend in the period."),
        Unit.MONEY,
        Better.NONE,
        ("channel", "campaign"),
    ),
    KPI(
        "cost_per_lead",
        Family.ACQUISITION,
        "Coût par lead",
        "Cost per lead",
        "Coût par lead",
        _("Spend ÷ leads, same period and key (no spend and at least one lead: 0)."),
        Unit.MONEY,
        Better.DOWN,
        ("channel", "campaign"),
    ),
    KPI(
        "lead_growth",
        Family.ACQUISITION,
        "Croissance du nombre de leads",
        "Lead growth",
        "Croissance du nombre de leads",
        _("(Leads − leads of the previous period) ÷ leads of the previous period."),
        Unit.RATIO,
        Better.UP,
        ("channel",),
    ),
    KPI(
        "paid_lead_share",
        Family.CONVERSION,
        "Part de leads payants",
        "Paid lead share",
        "Pourcentage de leads payés",
        _("Leads from paid channels ÷ leads."),
        Unit.RATE,
        Better.NONE,
    ),
    KPI(
        "organic_lead_share",
        Family.CONVERSION,
        "Part de leads naturels",
        "Organic lead share",
        "… et de leads naturels",
        _("1 − paid lead share."),
        Unit.RATE,
        Better.NONE,
    ),
    KPI(
        "lead_to_customer_rate",
        Family.CONVERSION,
        "Taux de conversion leads → clients",
        "Lead-to-customer rate",
        "Taux de conversion de leads en clients; Taux de conversion par canal",
        _("Leads created in the period that became customers by the as-of date ÷ leads created in the period."),
        Unit.RATE,
        Better.UP,
        ("channel", "campaign", "offer"),
    ),
    KPI(
        "customers",
        Family.CONVERSION,
        "Clients gagnés",
        "Customers won",
        "(clients gagnés)",
        _("Leads that became customers in the period."),
        Unit.COUNT,
        Better.UP,
        ("channel", "campaign", "offer"),
    ),
    KPI(
        "revenue",
        Family.CONVERSION,
        "Chiffre d'affaires",
        "Revenue",
        "(sert au calcul du ROI)",
        _("Deal value of the customers won in the period."),
        Unit.MONEY,
        Better.UP,
        ("channel", "campaign"),
    ),
    KPI(
        "roi",
        Family.CONVERSION,
        "Retour sur investissement",
        "Return on investment",
        "Retour sur investissement",
        _("(Revenue − spend) ÷ spend, same period and key."),
        Unit.RATIO,
        Better.UP,
        ("channel", "campaign"),
    ),
    KPI(
        "cost_per_mql",
        Family.CONVERSION,
        "Coût par MQL",
        "Cost per MQL",
        "(coût par MQL)",
        _("Spend ÷ leads that reached MQL in the period, same period and key (no spend and at least one MQL: 0)."),
        Unit.MONEY,
        Better.DOWN,
        ("channel", "campaign"),
    ),
    KPI(
        "cost_per_sql",
        Family.CONVERSION,
        "Coût par SQL",
        "Cost per SQL",
        "(coût par SQL)",
        _("Spend ÷ leads that reached SQL in the period, same period and key (no spend and at least one SQL: 0)."),
        Unit.MONEY,
        Better.DOWN,
        ("channel", "campaign"),
    ),
    KPI(
        "cost_per_customer",
        Family.CONVERSION,
        "Coût d'acquisition client",
        "Cost per customer",
        "(coût d'acquisition client)",
        _("Spend ÷ customers won in the period, same period and key (no spend and at least one customer: 0)."),
        Unit.MONEY,
        Better.DOWN,
        ("channel", "campaign"),
    ),
    KPI(
        "cta_click_rate",
        Family.CONTENT,
        "Taux de clic des CTA",
        "CTA click rate",
        "Taux de clic des call-to-action",
        _("CTA clicks ÷ CTA views."),
        Unit.RATE,
        Better.UP,
        ("cta",),
    ),
    KPI(
        "keyword_visits",
        Family.CONTENT,
        "Mots-clés apportant du trafic",
        "Visits by keyword",
        "Mots-clés apportant du trafic",
        _("Visits from the keyword in the period, ranked."),
        Unit.COUNT,
        Better.UP,
        ("keyword",),
        dimension_required=True,
    ),
    KPI(
        "email_deliverability_rate",
        Family.EMAIL,
        "Taux de délivrabilité",
        "Deliverability rate",
        "Taux de délivrabilité",
        _("Delivered ÷ sent, over the sends of the period."),
        Unit.RATE,
        Better.UP,
        ("email", "campaign"),
    ),
    KPI(
        "email_open_rate",
        Family.EMAIL,
        "Taux d'ouverture",
        "Open rate",
        "Taux d'ouverture",
        _("Unique opens ÷ delivered."),
        Unit.RATE,
        Better.UP,
        ("email", "campaign"),
    ),
    KPI(
        "email_click_rate",
        Family.EMAIL,
        "Taux de clics",
        "Click rate",
        "Taux de clics",
        _("Unique clicks ÷ delivered."),
        Unit.RATE,
        Better.UP,
        ("email", "campaign"),
    ),
    KPI(
        "email_unsubscribe_rate",
        Family.EMAIL,
        "Taux de désabonnement",
        "Unsubscribe rate",
        "Taux de désabonnement",
        _("Unsubscribes ÷ delivered."),
        Unit.RATE,
        Better.DOWN,
        ("email", "campaign"),
    ),
    KPI(
        "mqls",
        Family.QUALIFICATION,
        "MQL",
        "MQLs",
        "Nombre total de MQLs par mois; Nombre de MQLs par canal",
        _("Leads that reached MQL in the period."),
        Unit.COUNT,
        Better.UP,
        ("channel", "campaign", "offer"),
    ),
    KPI(
        "sqls",
        Family.QUALIFICATION,
        "SQL",
        "SQLs",
        "(SQL créés)",
        _("Leads that reached SQL in the period."),
        Unit.COUNT,
        Better.UP,
        ("channel", "campaign", "offer"),
    ),
    KPI(
        "lead_to_mql_rate",
        Family.QUALIFICATION,
        "Taux de conversion leads → MQL",
        "Lead-to-MQL rate",
        "Pourcentage de leads étant des MQLs; Taux de conversion de lead à MQL par offre",
        _("Leads created in the period that reached MQL by the as-of date ÷ leads created in the period."),
        Unit.RATE,
        Better.UP,
        ("channel", "campaign", "offer"),
    ),
    KPI(
        "mql_to_sql_rate",
        Family.QUALIFICATION,
        "Taux de conversion MQL → SQL",
        "MQL-to-SQL rate",
        "Taux de conversion de MQL à SQL",
        _("MQLs of the period that reached SQL by the as-of date ÷ MQLs of the period."),
        Unit.RATE,
        Better.UP,
        ("channel", "campaign", "offer"),
    ),
    KPI(
        "sql_to_customer_rate",
        Family.QUALIFICATION,
        "Taux de conversion SQL → client",
        "SQL-to-customer rate",
        "Taux de conversion de SQL à client",
        _("SQLs of the period that became customers by the as-of date ÷ SQLs of the period."),
        Unit.RATE,
        Better.UP,
        ("channel", "campaign", "offer"),
    ),
)

KPIS: dict[str, KPI] = {kpi.key: kpi for kpi in REGISTRY}


def _kpi_name(key: str) -> str:
    return KPIS[key].name(get_language())


# A KPI's name in the language active when it is shown (French names are the registry's own, not the
# catalogue's). Outside any language, as when makemigrations writes the choices, it is the English one.
kpi_label = lazy(_kpi_name, str)
