"""Project configuration: .mtalint.yaml and [tool.mtalint] in pyproject.toml."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from linter.cli import main

OPEN_RELAY = "compatibility_level = 3.6\nmynetworks = 0.0.0.0/0\n"


def run(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["check", "--format", "json", *args])
    return result.exit_code, json.loads(result.output) if result.output.startswith("{") else {}


def rules_of(doc: dict) -> set[str]:
    return {f["rule"] for f in doc.get("findings", [])}


def test_formats_map_unusual_file_names(tmp_path: Path) -> None:
    (tmp_path / "prod.main.cf").write_text(OPEN_RELAY)
    (tmp_path / ".mtalint.yaml").write_text('formats: {"*.main.cf": postfix-main}\n')
    code, doc = run(str(tmp_path))
    assert code == 1
    assert "MTA001" in rules_of(doc)
    assert doc["files"] == [str(tmp_path / "prod.main.cf")] or doc["files"][0].endswith(
        "prod.main.cf"
    )


def test_pyproject_section_selects_and_overrides_severity(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text(OPEN_RELAY)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mtalint]\nselect = ["open-relay"]\nseverity = {MTA001 = "note"}\nfail_on = "error"\n'
    )
    code, doc = run(str(tmp_path))
    # only open-relay rules ran, and the open relay was demoted to a note: no failure
    assert doc["findings"]
    assert all("open-relay" in f["tags"] for f in doc["findings"])
    assert {f["severity"] for f in doc["findings"] if f["rule"] == "MTA001"} == {"note"}
    assert code == 0


def test_roles_per_path(tmp_path: Path) -> None:
    host = tmp_path / "hosts" / "relay-1"
    host.mkdir(parents=True)
    # a public MX listener: as an MX its missing STARTTLS matters (MTA014) ...
    (host / "main.cf").write_text("myhostname = relay-1.example.com\n")
    code, doc = run("--select", "MTA014", str(host))
    assert "MTA014" in rules_of(doc)
    # ... declared a null client, the MX rule does not apply
    (tmp_path / ".mtalint.yaml").write_text('roles: {"*relay-*": [null-client]}\n')
    code, doc = run("--select", "MTA014", "--config", str(tmp_path / ".mtalint.yaml"), str(host))
    assert "MTA014" not in rules_of(doc)
    assert code == 0


def test_unknown_key_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text(OPEN_RELAY)
    (tmp_path / ".mtalint.yaml").write_text("selekt: [PF]\n")
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 2
    assert "unknown key(s) selekt" in result.output
