"""Shared pieces of the probe's live tests against Exim and sendmail (tests only).

- :func:`make_certs`: a test CA and a server certificate for mx.example.test, made with
  openssl, readable by the daemons' unprivileged users;
- :func:`oracle_argv` / :func:`probe_argv`: the commands run inside a daemon's network
  namespace: tests/probe/oracle.py (smtplib + openssl s_client) and ``mtalint probe``;
- :func:`port`, :func:`rules_at`: reading the probe's JSON.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent  # the oracle script beside this file
HOST = "mx.example.test"


def _openssl(args: list[str], cwd: Path) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def make_certs(folder: Path) -> Path:
    """ca.pem, server.pem and server.key in folder (all world-readable: Exim reads its key
    after giving up root)."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    _openssl(
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem"]
        + ["-days", "30", "-subj", "/CN=probe live test CA"],
        folder,
    )
    _openssl(
        ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr"]
        + ["-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST}"],
        folder,
    )
    _openssl(
        ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key"]
        + ["-CAcreateserial", "-out", "server.pem", "-days", "30", "-copy_extensions", "copy"],
        folder,
    )
    for item in folder.iterdir():
        item.chmod(0o644)
    return folder


def oracle_argv(address: str, ports: list[str], suites: tuple[int, list[str]] | None) -> list[str]:
    argv = [sys.executable, str(HERE / "oracle.py"), address, *ports]
    if suites:
        argv += ["--suites", str(suites[0]), ",".join(suites[1])]
    return argv


def probe_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "linter", "probe", "--format", "json", "--timeout", "5", *args]


def port(doc: dict[str, Any], number: int) -> dict[str, Any]:
    return next(p for p in doc["probe"]["ports"] if p["port"] == number)


def rules_at(doc: dict[str, Any], number: int) -> set[str]:
    return {f["rule"] for f in doc["findings"] if f["path"].endswith(f":{number}")}


def drift_aspects(doc: dict[str, Any]) -> set[tuple[int, str]]:
    return {(d["port"], d["aspect"]) for d in doc["probe"]["drift"]}
