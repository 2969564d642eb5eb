"""Reads of the reports app: which schedules and deliveries a person may see."""

from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.people import agency_people, client_members
from reports.models import ReportDelivery, ReportSchedule
from tenants.access import ClientAccess
from tenants.models import Client


def schedules_visible(access: ClientAccess, user) -> QuerySet[ReportSchedule]:
    """Every schedule for managers and agency people; for sales and viewers, those they receive."""
    schedules = ReportSchedule.objects.select_related("created_by")
    if access.can_manage:
        return schedules
    return schedules.filter(recipients__contains=[user.email.lower()])


def schedule_visible(access: ClientAccess, user, pk: int) -> ReportSchedule:
    """One schedule the person may see (``Http404`` otherwise, as for one that does not exist)."""
    return get_object_or_404(schedules_visible(access, user), pk=pk)


def delivery_visible(access: ClientAccess, user, pk: int, delivery_id: int) -> ReportDelivery:
    """One delivery of a schedule the person may see (``Http404`` otherwise)."""
    schedule = schedule_visible(access, user, pk)
    return get_object_or_404(ReportDelivery.objects.select_related("schedule"), pk=delivery_id, schedule=schedule)


def deliveries_of(schedule: ReportSchedule) -> QuerySet[ReportDelivery]:
    """A schedule's deliveries, newest first, without their PDF's bytes (``has_pdf`` says if it has one)."""
    has_pdf = ExpressionWrapper(Q(pdf__isnull=False), output_field=BooleanField())
    return (
        ReportDelivery.objects.filter(schedule=schedule)
        .defer("pdf")
        .select_related("approved_by")
        .annotate(has_pdf=has_pdf)
        .order_by("-created_at", "-pk")
    )


def member_choices(client: Client) -> list[tuple[str, str]]:
    """The people with access to the client (its own members, and its agency's owners and staff), as
    (email, "Name (email)") by email, each once: the page's recipient checkboxes. Two queries."""
    people: dict[str, str] = {}
    memberships = [*client_members(client), *(agency_people(client.agency) if client.agency_id else [])]
    for membership in memberships:
        user = membership.user
        if user.is_active:
            email = user.email.lower()
            people[email] = f"{user.full_name} ({email})" if user.full_name else email
    return sorted(people.items())
