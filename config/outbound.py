"""Outgoing HTTP requests (alert webhooks): only to addresses the settings allow, with timeouts."""
