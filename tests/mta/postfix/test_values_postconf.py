"""Effective values mtalint derives against ``postconf -x`` (the real binary).

Defaults that Postfix computes from other parameters ($mydomain from $myhostname) change
the banner, mydestination and myorigin; each case here is judged by postconf itself.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from linter.mta.postfix.model import build_model
from linter.mta.postfix.parse import parse_main, parse_master
from linter.source import SourceFile
from tests.paths import ROOT

pytestmark = pytest.mark.skipif(
    shutil.which("postconf") is None,
    reason="needs Postfix's postconf (Debian: apt-get install postfix)",
)

NAMES = ("myhostname", "mydomain", "mydestination", "myorigin", "smtpd_banner")

CASES = {
    "three-labels": "myhostname = mx.example.com\n",
    "two-labels": "myhostname = mx.example\n",
    "five-labels": "myhostname = a.b.c.example.com\n",
    "one-label": "myhostname = mx\n",
    "trailing-dot": "myhostname = mx.example.com.\n",
    "only-a-dot-after": "myhostname = mx.\n",
    "mixed-case": "myhostname = MX.Example.COM\n",
    "refers-back": "myhostname = mail.$mydomain\n",
    "explicit-domain": "myhostname = mx.example.com\nmydomain = example.org\n",
    "expanded-hostname": "host_part = mx\nmyhostname = $host_part.example.net\n",
}

SERVICE_CASES = {
    "override-hostname": (
        "myhostname = mx.example.com\n",
        "smtp inet n - n - - smtpd -o myhostname=a.b.example.org\n",
    ),
}


def postconf(folder: Path, args: list[str]) -> str:
    done = subprocess.run(
        ["postconf", "-c", str(folder), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.mark.parametrize("case", sorted(CASES))
def test_derived_defaults_are_what_postconf_expands(case: str, tmp_path: Path) -> None:
    text = CASES[case]
    (tmp_path / "main.cf").write_text(text)
    (tmp_path / "master.cf").write_text("")
    model = build_model(parse_main(SourceFile("main.cf", text)), None)
    for name in NAMES:
        expected = postconf(tmp_path, ["-xh", name]).rstrip("\n")
        assert model.value(name) == expected, name


@pytest.mark.parametrize("case", sorted(SERVICE_CASES))
def test_service_overrides_reach_derived_defaults(case: str, tmp_path: Path) -> None:
    main, master = SERVICE_CASES[case]
    (tmp_path / "main.cf").write_text(main)
    (tmp_path / "master.cf").write_text(master)
    model = build_model(
        parse_main(SourceFile("main.cf", main)), parse_master(SourceFile("master.cf", master))
    )
    service = model.services[0]
    # postconf -x does not apply -o to other parameters; the daemon does: mail_params.c
    # reads myhostname (the -o value) before it derives mydomain from it
    hostname = postconf(tmp_path, ["-xP"]).split("=", 1)[1].strip()
    assert model.value("myhostname", service) == hostname
    main2 = tmp_path / "as-service"
    main2.mkdir()
    (main2 / "main.cf").write_text(f"myhostname = {hostname}\n")
    (main2 / "master.cf").write_text("")
    for name in ("mydomain", "mydestination", "smtpd_banner"):
        assert model.value(name, service) == postconf(main2, ["-xh", name]).rstrip("\n"), name


@pytest.mark.parametrize("level", ["0", "1", "2", "3.5"])
def test_backwards_compatible_defaults_are_what_postconf_uses(level: str, tmp_path: Path) -> None:
    """PF036 lists exactly the parameters whose value postconf gives differently at this
    level than at the current one, leaving out what the file sets."""
    from linter.mta.postfix import _compat_backwards, params

    text = f"compatibility_level = {level}\nrelay_domains = example.org\n"
    model = build_model(parse_main(SourceFile("main.cf", text)), None)
    listed = {entry.split(" = ", 1)[0] for entry in _compat_backwards(model)}
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    for folder, main in ((old_dir, text), (new_dir, "compatibility_level = 3.6\n")):
        folder.mkdir()
        (folder / "main.cf").write_text(main)
        (folder / "master.cf").write_text("")
    names = sorted(params.COMPAT_DEPENDENT - {"relay_domains"})
    # -x resolves the ${{$compatibility_level} <level {...} ? ...} expressions
    old = postconf(old_dir, ["-xh", *names]).splitlines()
    new = postconf(new_dir, ["-xh", *names]).splitlines()
    differing = {name for name, a, b in zip(names, old, new, strict=True) if a != b}
    assert listed == differing
    assert "relay_domains" not in listed  # set by the file


def test_boolean_parameters_are_postfixs_booleans(tmp_path: Path) -> None:
    """Every parameter of the generated boolean table has a yes/no default in postconf -dx,
    and the paths whose default merely reads "no" are not in it."""
    from linter.mta.postfix import param_types

    (tmp_path / "main.cf").write_text("")
    (tmp_path / "master.cf").write_text("")
    defaults = {}
    for line in postconf(tmp_path, ["-dx"]).splitlines():
        name, _, value = line.partition(" = ")
        defaults[name] = value.strip().lower()
    known = param_types.BOOLEAN & set(defaults)
    assert len(known) > 100
    assert {n for n in known if defaults[n] not in ("yes", "no")} == set()
    # Postfix's source default is "no", Debian's build a path: a string either way
    assert defaults["readme_directory"].startswith("/")
    for path in ("readme_directory", "html_directory", "shlib_directory"):
        assert path not in param_types.BOOLEAN


def test_the_model_reads_only_booleans_as_booleans() -> None:
    """Every name the Postfix package passes to is_yes() is in Postfix's boolean table."""
    from linter.mta.postfix import param_types

    package = ROOT / "linter" / "mta" / "postfix"
    names = set()
    for source in package.glob("*.py"):
        names |= set(re.findall(r'is_yes\(\s*"([a-z0-9_]+)"', source.read_text()))
    assert names, "no is_yes() calls found"
    assert names <= param_types.BOOLEAN, sorted(names - param_types.BOOLEAN)
