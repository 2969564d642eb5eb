"""KPI snapshots and objectives (tenant schema). Filled in by the KPI engine work."""
