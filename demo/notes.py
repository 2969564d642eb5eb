"""The notes the demo clients' people left on their accounts (``annotations``), so that the charts
show markers, the dashboard its list of notes and Atelier Sillon's keyword flag its likely
explanation from the first page. Dates are relative to the first seed (its day and its plan's
month 0, ``campaigns.demo.plan_anchor``), within the twelve months the charts cover."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from annotations.models import Annotation
from annotations.services import annotation_create
from campaigns.demo import rising_start
from campaigns.models import Campaign, Channel

MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


@dataclass(frozen=True)
class DemoNote:
    start: date
    text: str
    end: date | None = None
    channel: str = ""  # a channel key
    campaign: str = ""  # a campaign key


def french_day(day: date) -> str:
    """A day as French writes it: 7 novembre, 1er décembre."""
    return f"{'1er' if day.day == 1 else day.day} {MONTHS_FR[day.month - 1]}"


def french_span(start: date, end: date) -> str:
    """A span as French writes it: du 7 au 9 novembre, du 30 novembre au 2 décembre."""
    first = french_day(start).split()[0] if start.month == end.month else french_day(start)
    return f"du {first} au {french_day(end)}"


SEASONS = ((3, "printemps"), (9, "rentrée"))


def season_start(today: date) -> tuple[date, str]:
    """The latest seasonal campaign launch at least three weeks before ``today`` (15 March: spring,
    15 September: back to school), and its season: always within the last seven months."""
    launches = [(date(year, month, 15), season) for year in (today.year - 1, today.year) for month, season in SEASONS]
    return max(launch for launch in launches if launch[0] <= today - timedelta(days=21))


def demo_notes(slug: str, *, today: date, anchor: date, months: int) -> list[DemoNote]:
    """What each client's people noted, relative to ``today`` (the first seed's local day)."""
    if slug == "maison-lumiere":
        launch, season = season_start(today)
        return [
            DemoNote(
                launch,
                f"Lancement de la campagne de {season} : nouvelle collection de suspensions sur Meta",
                end=launch + timedelta(days=41),
                campaign="meta-prospection",
            ),
            DemoNote(
                today - timedelta(days=38),
                "Nouvelle enchère Google Ads : CPA cible à 35 €",
                channel="paid_search",
            ),
            DemoNote(today - timedelta(days=11), "Page démo refaite : formulaire en 3 champs au lieu de 7"),
        ]
    if slug == "atelier-sillon":
        rise = rising_start(anchor, months)
        return [
            DemoNote(
                rise,
                "Série d'articles « SEO B2B » sur le blog, reprise par deux sites professionnels : le mot-clé décolle",
                end=anchor - timedelta(days=1),  # up to the month before month 0
            ),
            DemoNote(today - timedelta(days=17), "Newsletter : objet plus court testé en A/B", channel="email"),
        ]
    broken = today - timedelta(days=26)
    return [
        DemoNote(
            today - timedelta(days=95),
            "Soldes à -30 % chez un grand distributeur concurrent",
            end=today - timedelta(days=84),
        ),
        DemoNote(
            today - timedelta(days=52),
            "Nouvelle enchère Meta : coût par résultat plafonné à 12 €",
            channel="paid_social",
        ),
        DemoNote(
            broken,
            f"Tracking cassé {french_span(broken, broken + timedelta(days=2))} : la balise de conversion "
            "avait disparu après la mise à jour du site",
            end=broken + timedelta(days=2),
        ),
    ]


def demo_notes_seed(*, slug: str, author, today: date, anchor: date, months: int) -> int:
    """The demo notes of one client (in its schema), by ``author``, unless it has notes already."""
    if Annotation.objects.exists():
        return 0
    notes = demo_notes(slug, today=today, anchor=anchor, months=months)
    for note in notes:
        annotation_create(
            start=note.start,
            end=note.end,
            text=note.text,
            channel=Channel.objects.get(key=note.channel) if note.channel else None,
            campaign=Campaign.objects.get(key=note.campaign) if note.campaign else None,
            author=author,
        )
    return len(notes)
