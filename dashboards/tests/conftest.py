"""Shared by the dashboard tests: the dashboard state that shows the golden example (root conftest's
``golden`` fixture), its first quarter as months (the cards show its totals), and its March alone
(the cards show March against February)."""

GOLDEN_QUERY = {"period": "month", "range": "custom", "from": "2026-01-01", "to": "2026-03-01"}
MARCH_QUERY = {"period": "month", "range": "custom", "from": "2026-03-01", "to": "2026-03-01"}
