"""factory_boy factory of a client's notes (write in the connection's current schema: ``in_alpha``)."""

from __future__ import annotations

from datetime import date

import factory
from factory.django import DjangoModelFactory

from annotations.models import Annotation


class AnnotationFactory(DjangoModelFactory):
    class Meta:
        model = Annotation

    start = date(2026, 3, 3)
    text = factory.Sequence(lambda n: f"Note {n}")
