"""Shared fixtures of the connectors' tests."""

from connectors.tests.stub_provider import source_for, stub_provider_state

__all__ = ["source_for", "stub_provider_state"]
