"""Choosing, changing and removing a client's sources, and remapping its platform campaigns
(docs/connectors.md). The rule is :mod:`connectors.source_rules`; the sync itself is
``connectors.sync.source_sync_now``, sent once the transaction commits.

- Changing a source's account restarts its backfill: the days read are forgotten, the status is
  pending, and the next sync reads the new account from the start.
- Removing a source keeps its facts and coverage (the history stays as synced), or deletes its rows
  and coverage in the client's schema: the imported and tracked rows of those days count again, so
  the days are marked dirty for the next refresh.
- Remapping a platform campaign to another Pouls campaign cannot move spend rows, which are summed
  per Pouls campaign: the source is read again from its first day, and the covered spend days are
  marked dirty (coverage joins through the mapping, so the old and the new campaign both change)."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.cache import cache
from django.db import connection as db_connection
from django.db import transaction
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from campaigns.models import Campaign, FactCoverage, KeywordStat, PlatformCampaign, Spend, Traffic
from config.errors import DomainError
from connectors.errors import ConnectorError, GrantRefused, NotConfigured
from connectors.models import (
    FACT_OF_KIND,
    PROVIDER_OF_KIND,
    Connection,
    ConnectionStatus,
    Source,
    SourceKind,
    SourceStatus,
)
from connectors.providers import provider_for
from connectors.source_rules import source_fields_checked
from kpis.models import DirtyDay

ACCOUNTS_CACHE_SECONDS = 600  # the accounts a grant reads, listed live, kept ten minutes
FACT_MODELS = {
    FactCoverage.Fact.TRAFFIC: Traffic,
    FactCoverage.Fact.KEYWORD: KeywordStat,
    FactCoverage.Fact.SPEND: Spend,
}


def sync_requested(source: Source) -> None:
    """Send ``source``'s sync (``connectors.sync.source_sync_now``: once the transaction commits; its
    backfill when the source is pending with no day read)."""
    from connectors.sync import source_sync_now  # deferred: the sync loads Celery tasks and providers

    source_sync_now(source)


def source_create(
    client, *, kind: str, external_id: str, login_customer_id: str = "", external_name: str = "", created_by=None
) -> Source:
    """Choose ``client``'s account of ``kind`` and send its backfill."""
    fields = source_fields_checked(client, kind, external_id, login_customer_id)
    source = Source.objects.create(
        client=client,
        connection=fields.connection,
        kind=fields.kind,
        external_id=fields.external_id,
        external_name=(external_name or "").strip()[:300],
        login_customer_id=fields.login_customer_id,
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )
    sync_requested(source)
    return source


def source_update(
    source: Source,
    *,
    external_id: str | None = None,
    login_customer_id: str | None = None,
    external_name: str | None = None,
) -> Source:
    """Change the account (or the manager account) of ``source``: another account restarts its
    backfill; the name alone changes nothing else."""
    fields = source_fields_checked(
        source.client,
        source.kind,
        source.external_id if external_id is None else external_id,
        source.login_customer_id if login_customer_id is None else login_customer_id,
        source.connection,
        source=source,
    )
    changed = (fields.external_id, fields.login_customer_id) != (source.external_id, source.login_customer_id)
    source.connection = fields.connection
    source.external_id, source.login_customer_id = fields.external_id, fields.login_customer_id
    if external_name is not None:
        source.external_name = external_name.strip()[:300]
    if changed:
        source_restart(source)
    source.save()
    if changed:
        sync_requested(source)
    return source


def source_restart(source: Source) -> None:
    """Forget the days read: the next sync is a backfill (not saved here)."""
    source.first_day = source.last_day = None
    source.status = SourceStatus.PENDING
    source.last_error = ""
    source.next_run_at = None


def source_sync_requested(source: Source) -> None:
    """ "Sync now": the next sync is sent at once."""
    if source.status == SourceStatus.BROKEN and source.connection.status != ConnectionStatus.ACTIVE:
        raise DomainError(_("The agency's connection is broken: an agency owner reconnects it at /connections/."))
    sync_requested(source)


def days_dirty(fact: str, first: date, last: date) -> None:
    """Mark ``fact``'s days from ``first`` to ``last`` for the next refresh (current client schema):
    no fact row changes there, but which rows count does."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    try:
        from kpis.services import days_dirty as kpi_days_dirty
    except ImportError:  # before kpis' helper: the same insert
        DirtyDay.objects.bulk_create([DirtyDay(source=fact, day=day) for day in days])
    else:
        kpi_days_dirty(fact, days)


def source_delete(source: Source, *, keep_data: bool) -> None:
    """Remove ``source``. ``keep_data``: its facts and coverage stay; otherwise they are deleted in
    the client's schema and the days it covered count the imported rows again."""
    with transaction.atomic():
        if not keep_data:
            with tenant_context(source.client):
                source_data_delete(source.kind)
        source.delete()


def source_data_delete(kind: str) -> None:
    """Delete the rows and coverage ``kind`` wrote (current client schema). The fact tables' triggers
    mark the deleted rows' days; the coverage's days are marked here, for the rows it hid."""
    fact = FACT_OF_KIND[SourceKind(kind)]
    FACT_MODELS[fact].objects.filter(source=kind).delete()
    for cover in FactCoverage.objects.filter(source=kind):
        days_dirty(cover.fact, cover.first_day, cover.last_day)
    FactCoverage.objects.filter(source=kind).delete()


def platform_campaign_update(platform_campaign: PlatformCampaign, campaign: Campaign) -> PlatformCampaign:
    """Count ``platform_campaign``'s spend in ``campaign`` from now on, for its whole history: the
    source is read again from its first day (spend rows are per Pouls campaign and cannot be split),
    and the covered spend days are marked dirty (current client schema)."""
    if platform_campaign.campaign_id == campaign.pk:
        return platform_campaign
    with transaction.atomic():
        platform_campaign.campaign = campaign
        platform_campaign.save(update_fields=["campaign", "updated_at"])
        for cover in FactCoverage.objects.filter(source=platform_campaign.source, fact=FactCoverage.Fact.SPEND):
            days_dirty(cover.fact, cover.first_day, cover.last_day)
        tenant = db_connection.tenant
        source = Source.objects.filter(client_id=tenant.pk, kind=platform_campaign.source).first()
        if source is not None:
            source_restart(source)
            source.save()
            sync_requested(source)
    return platform_campaign


# --- The accounts a connection reads (the choice on the sources page and by API) --------------------


class AccountsUnavailable(DomainError):
    """The accounts could not be listed now: the page offers the id field instead."""


def _accounts_key(connection: Connection, kind: str) -> str:
    return f"connectors:accounts:{connection.pk}:{connection.updated_at.timestamp():.0f}:{kind}"


def accounts_listed(connection: Connection, kind: str) -> list:
    """The accounts of ``kind`` the grant reads (``provider.accounts``), cached ten minutes per
    connection; :class:`AccountsUnavailable` with a clear message when the platform refuses or fails."""
    key = _accounts_key(connection, kind)
    accounts = cache.get(key)
    if accounts is not None:
        return accounts
    platform = PROVIDER_OF_KIND[SourceKind(kind)].label
    try:
        from connectors.tokens import session_for  # deferred: the tokens module loads the OAuth client

        accounts = list(provider_for(kind).accounts(session_for(connection), connection))
    except GrantRefused:
        raise AccountsUnavailable(
            _("%(platform)s refused the agency's grant: an agency owner reconnects it at /connections/.")
            % {"platform": platform},
            field="external_id",
        ) from None
    except NotConfigured as error:  # its message says which setting is missing
        raise AccountsUnavailable(
            _("The accounts cannot be listed: %(why)s Type the account id.") % {"why": error.message},
            field="external_id",
        ) from None
    except (ConnectorError, ImportError):
        raise AccountsUnavailable(
            _("%(platform)s did not list the accounts just now: try again in a moment, or type the account id.")
            % {"platform": platform},
            field="external_id",
        ) from None
    cache.set(key, accounts, ACCOUNTS_CACHE_SECONDS)
    return accounts
