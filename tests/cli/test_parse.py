"""``mtalint parse``: the model of a configuration as JSON or YAML."""

from __future__ import annotations

import json

import yaml

from tests.cli.common import EXAMPLE, mtalint


def test_parse_json_has_parameters_and_services():
    proc = mtalint("parse", "examples/postfix", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    parameters = doc["postfix"]["main"]["parameters"]
    services = doc["postfix"]["master"]["services"]

    # every "name = value" line of the example (no name is set twice there)
    expected = {}
    for number, line in enumerate((EXAMPLE / "main.cf").read_text().splitlines(), 1):
        if line and not line[0].isspace() and not line.startswith("#"):
            name, value = (part.strip() for part in line.split("=", 1))
            expected[name] = (value, number)
    assert set(parameters) == set(expected)
    for name, (value, number) in expected.items():
        assert parameters[name]["value"] == value, name
        assert parameters[name]["line"] == number, name

    names = _service_names(services)
    assert {("smtp", "inet"), ("submission", "inet"), ("smtps", "inet"), ("smtp", "unix")} <= names
    assert len(names) == sum(
        1
        for line in (EXAMPLE / "master.cf").read_text().splitlines()
        if line and not line[0].isspace() and not line.startswith("#")
    )


def _service_names(services) -> set[tuple[str, str]]:
    items = services.values() if isinstance(services, dict) else services
    out = set()
    for s in items:
        name = s.get("service", s.get("name"))
        out.add((name.split("/")[0], s.get("type", name.split("/")[-1])))
    return out


def test_parse_yaml_matches_json():
    as_json = json.loads(mtalint("parse", "examples/postfix", "--format", "json").stdout)
    proc = mtalint("parse", "examples/postfix", "--format", "yaml")
    assert proc.returncode == 0
    assert yaml.safe_load(proc.stdout) == as_json


def test_parse_missing_path_exits_2():
    assert mtalint("parse", "no/such/dir").returncode == 2
