"""Lead scoring: points for attributes and for activities (rules are per client)."""

from __future__ import annotations

from django.db.models import Count

from leads.models import Lead, LeadActivity, ScoringRule

Field = ScoringRule.Field
Op = ScoringRule.Operator


def _attribute(lead: Lead, field: str):
    if field == Field.OFFER_KIND:
        return lead.offer.kind if lead.offer_id else None
    if field == Field.CHANNEL:
        return lead.channel.key if lead.channel_id else None
    if field == Field.EMAIL_DOMAIN:
        return lead.email.rpartition("@")[2]
    return getattr(lead, field)


def rule_matches(rule: ScoringRule, value) -> bool:
    """Does ``value`` satisfy the rule's condition? Text compares case-insensitively; numbers as numbers."""
    if value in (None, ""):
        return False
    expected = rule.value.strip()
    if isinstance(value, int):
        try:
            numbers = [int(v) for v in expected.split(",")] if rule.operator == Op.ONE_OF else [int(expected)]
        except ValueError:
            return False
        return {
            Op.EQUALS: value == numbers[0],
            Op.AT_LEAST: value >= numbers[0],
            Op.AT_MOST: value <= numbers[0],
            Op.ONE_OF: value in numbers,
            Op.CONTAINS: str(numbers[0]) in str(value),
        }[Op(rule.operator)]
    text, expected = str(value).strip().lower(), expected.lower()
    if rule.operator == Op.CONTAINS:
        return expected in text
    if rule.operator == Op.ONE_OF:
        return text in {v.strip() for v in expected.split(",")}
    if rule.operator == Op.EQUALS:
        return text == expected
    return False


def lead_score_compute(
    *, lead: Lead, rules: list[ScoringRule] | None = None, activity_counts: dict[str, int] | None = None
) -> int:
    """The lead's score under the client's active rules (two queries when nothing is passed in)."""
    if rules is None:
        rules = list(ScoringRule.objects.filter(is_active=True))
    if not rules:
        return 0
    if activity_counts is None:
        activity_counts = dict(
            LeadActivity.objects.filter(lead=lead).values_list("kind").annotate(n=Count("pk")).values_list("kind", "n")
        )
    score = 0
    for rule in rules:
        if rule.field == Field.ACTIVITY:
            points = rule.points * activity_counts.get(rule.value.strip(), 0)
            score += min(points, rule.max_points) if rule.max_points is not None else points
        elif rule_matches(rule, _attribute(lead, rule.field)):
            score += rule.points
    return score


def leads_rescore(*, lead_ids: list[int] | None = None) -> int:
    """Recompute scores (all leads, or ``lead_ids``) in batches of 1,000 with one activity query per
    batch; leads reaching the MQL threshold are promoted by ``lead_score_refresh``. Returns how many
    scores changed."""
    # Inside the function: leads.services imports this module (a real cycle).
    from leads.services import lead_score_refresh, lead_settings

    rules = list(ScoringRule.objects.filter(is_active=True))
    threshold = lead_settings().mql_threshold
    queryset = Lead.objects.select_related("offer", "channel").order_by("pk")
    if lead_ids is not None:
        queryset = queryset.filter(pk__in=lead_ids)
    changed, last_pk = 0, 0
    while batch := list(queryset.filter(pk__gt=last_pk)[:1000]):
        last_pk = batch[-1].pk
        counts: dict[int, dict[str, int]] = {}
        activity = LeadActivity.objects.filter(lead_id__in=[lead.pk for lead in batch])
        for lead_id, kind, n in activity.values_list("lead_id", "kind").annotate(n=Count("pk")):
            counts.setdefault(lead_id, {})[kind] = n
        for lead in batch:
            score = lead_score_compute(lead=lead, rules=rules, activity_counts=counts.get(lead.pk, {}))
            if score != lead.score:
                changed += 1
                lead.score = score
                Lead.objects.filter(pk=lead.pk).update(score=score)
            if threshold is not None and score >= threshold and lead.scoring_promoted_at is None:
                lead_score_refresh(lead=lead)
    return changed
