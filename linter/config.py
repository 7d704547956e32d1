"""Project configuration: ``.mtalint.yaml`` or ``[tool.mtalint]`` in ``pyproject.toml``.

Keys: ``select``, ``ignore`` (rule ids, id prefixes or tags), ``severity`` (id or tag →
error/warning/note), ``rules`` (extra rule folders, relative to the config file),
``formats`` (file-name glob → format), ``roles`` (path glob → list of roles),
``fail_on``, ``limits`` (limit name → number, see linter/limits.py), and the MTAs'
options under their flag's field (``postfix_version``, as --postfix-version).

The file is searched from the checked path upwards, but never above the project: the
folder holding ``.git`` (a folder or a file), or, outside a git work tree, the current
folder when the path lies inside it (else the checked folder alone). A file further up
(``/tmp/.mtalint.yaml``, a parent checkout's) could switch every rule off unseen.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from linter.limits import DEFAULT_LIMITS, LimitError
from linter.mta.registry import cli_flags
from linter.mta.registry import formats as known_formats
from linter.posture import Role

CONFIG_NAMES = (".mtalint.yaml", ".mtalint.yml")
KNOWN_KEYS = {
    "select",
    "ignore",
    "severity",
    "rules",
    "formats",
    "roles",
    "fail_on",
    "limits",
}
ROLES = set(get_args(Role))


class ConfigError(Exception):
    pass


@dataclass
class Config:
    path: Path | None = None
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    rule_folders: list[Path] = field(default_factory=list)
    formats: dict[str, str] = field(default_factory=dict)
    roles: dict[str, list[str]] = field(default_factory=dict)
    fail_on: str | None = None
    # limit name → value, checked against linter.limits.Limits
    limits: dict[str, int] = field(default_factory=dict)
    # the MTAs' options this file sets, by their flag's field (an MTA's CliFlag.field)
    flags: dict[str, str] = field(default_factory=dict)


def flag_keys() -> frozenset[str]:
    """The keys that set an MTA's option: the field of each flag that takes one value."""
    return frozenset(flag.field for flag in cli_flags() if not flag.multiple)


def project_root(folder: Path) -> Path:
    """The folder above which no configuration is looked for (see the module docstring)."""
    for candidate in (folder, *folder.parents):
        if os.path.lexists(candidate / ".git"):
            return candidate
    here = Path.cwd().resolve()
    return here if folder.is_relative_to(here) else folder


def find_config(start: Path) -> Path | None:
    """The nearest config file in ``start`` or a parent folder inside the project."""
    try:
        folder = start.resolve()
    except RuntimeError:  # a link loop (Python 3.11): discovery reports it
        folder = Path(os.path.abspath(start))
    if folder.is_file():
        folder = folder.parent
    root = project_root(folder)
    for candidate_dir in (folder, *folder.parents):
        for name in CONFIG_NAMES:
            candidate = candidate_dir / name
            if candidate.is_file():
                return candidate
        pyproject = candidate_dir / "pyproject.toml"
        if pyproject.is_file() and _pyproject_section(pyproject) is not None:
            return pyproject
        if candidate_dir == root:
            break
    return None


def _pyproject_section(path: Path) -> dict[str, Any] | None:
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    section = data.get("tool", {}).get("mtalint")
    return section if isinstance(section, dict) else None


def _strings(value: Any, key: str, path: Path) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise ConfigError(f"{path}: '{key}' must be a string or a list of strings")


def load_config(path: Path) -> Config:
    # the parsers are imported only when a configuration file exists (start-up time)
    import tomllib

    import yaml

    from linter.yamlsafe import load_yaml

    if path.name == "pyproject.toml":
        try:
            data = (
                tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("mtalint", {})
            )
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read: {exc}") from None
    else:
        try:
            data = load_yaml(path.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read: {exc}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping")
    unknown = set(data) - KNOWN_KEYS - flag_keys()
    if unknown:
        known = ", ".join(sorted(KNOWN_KEYS | flag_keys()))
        raise ConfigError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}; known: {known}")
    config = Config(path=path)
    config.select = _strings(data.get("select", []), "select", path)
    config.ignore = _strings(data.get("ignore", []), "ignore", path)
    severity = data.get("severity", {})
    if not isinstance(severity, dict) or any(
        v not in ("error", "warning", "note") for v in severity.values()
    ):
        raise ConfigError(f"{path}: 'severity' maps rule ids or tags to error, warning or note")
    config.severity = {str(k): str(v) for k, v in severity.items()}
    config.rule_folders = [
        (path.parent / p) for p in _strings(data.get("rules", []), "rules", path)
    ]
    formats = data.get("formats", {})
    if not isinstance(formats, dict) or any(
        not isinstance(v, str) or v not in known_formats() for v in formats.values()
    ):
        raise ConfigError(
            f"{path}: 'formats' maps file-name globs to one of {', '.join(sorted(known_formats()))}"
        )
    config.formats = {str(k): str(v) for k, v in formats.items()}
    roles = data.get("roles", {})
    if not isinstance(roles, dict):
        raise ConfigError(f"{path}: 'roles' maps path globs to lists of roles")
    for glob, value in roles.items():
        names = _strings(value, f"roles.{glob}", path)
        bad = set(names) - ROLES
        if bad:
            known = ", ".join(sorted(ROLES))
            raise ConfigError(f"{path}: unknown role(s) {', '.join(sorted(bad))}; known: {known}")
        config.roles[str(glob)] = names
    config.flags = {key: str(data[key]) for key in sorted(flag_keys()) if key in data}
    if "fail_on" in data:
        if data["fail_on"] not in ("error", "warning", "note"):
            raise ConfigError(f"{path}: 'fail_on' must be error, warning or note")
        config.fail_on = data["fail_on"]
    limits = data.get("limits", {})
    if not isinstance(limits, dict):
        raise ConfigError(f"{path}: 'limits' maps limit names to numbers")
    try:
        DEFAULT_LIMITS.with_overrides(limits)
    except LimitError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    config.limits = {
        str(k).replace("-", "_"): int(str(v).replace("_", "")) for k, v in limits.items()
    }
    return config
