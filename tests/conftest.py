"""Shared pytest configuration. Test helpers live in their own modules next to the tests."""
