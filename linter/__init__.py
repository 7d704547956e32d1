"""mtalint: a linter and auditor for mail-server configuration."""

__version__ = "0.1.0"
