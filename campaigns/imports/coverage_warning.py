"""The import preview's warning where a connector covers the file's rows: imported rows on the
days (and, for spend, the campaigns) a connector answers for are written but not counted
(campaigns.coverage). Worded from the connectors' ``FactSource`` labels, since campaigns may not
import connectors (the layer above)."""

from __future__ import annotations

from django.utils.translation import ngettext

from campaigns.coverage import covered_import_rows
from campaigns.models import Campaign, FactCoverage, FactSource

# The import kinds whose rows a connector may cover, and the fact each writes.
FACT_OF_IMPORT = {
    "spend": FactCoverage.Fact.SPEND,
    "traffic": FactCoverage.Fact.TRAFFIC,
    "keywords": FactCoverage.Fact.KEYWORD,
}


def coverage_warning(kind: str, valid: list[dict], ctx) -> str | None:
    """ "N rows of this file fall on days … covers: they are kept but not counted", or None."""
    fact = FACT_OF_IMPORT.get(kind)
    if fact is None or not valid:
        return None
    covering = sorted(set(FactCoverage.objects.filter(fact=fact).values_list("source", flat=True)))
    if not covering:
        return None
    if fact == FactCoverage.Fact.SPEND:
        campaigns = ctx.keys.get(Campaign, {})
        rows = [(r["date"], campaigns.get(r["campaign"])) for r in valid]  # a new campaign: nobody covers it
    else:
        rows = [(r["date"], None) for r in valid]
    n = covered_import_rows(fact, rows)
    if not n:
        return None
    names = ", ".join(str(FactSource(s).label) for s in covering if s in FactSource.values)
    values = {"n": n, "sources": names}
    if fact == FactCoverage.Fact.SPEND:
        return (
            ngettext(
                "%(n)s row of this file falls on days and campaigns %(sources)s covers: it is kept but not counted.",
                "%(n)s rows of this file fall on days and campaigns %(sources)s covers: they are kept but not counted.",
                n,
            )
            % values
        )
    return (
        ngettext(
            "%(n)s row of this file falls on days %(sources)s covers: it is kept but not counted.",
            "%(n)s rows of this file fall on days %(sources)s covers: they are kept but not counted.",
            n,
        )
        % values
    )
