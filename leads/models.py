"""Leads and their lifecycle (tenant schema). Filled in by the CRM work."""
