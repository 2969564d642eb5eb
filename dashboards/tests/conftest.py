"""The golden example imported into alpha and refreshed as of 15 April 2026 (kpis' own fixture)."""

from kpis.tests.test_api import AS_OF, golden  # noqa: F401  (a fixture, shared)

GOLDEN_QUERY = {"period": "month", "range": "custom", "from": "2026-01-01", "to": "2026-03-01"}
