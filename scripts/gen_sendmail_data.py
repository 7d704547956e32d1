"""Regenerate mtalint's sendmail data from an installed ``sendmail-cf``.

    python scripts/gen_sendmail_data.py [/usr/share/sendmail/cf]

Writes ``linter/mta/sendmail/data/``:

- ``options.json``: proto.m4's option table (``_OPTION(Name, `confNAME', default)``),
  the FEATUREs that exist (``feature/*.m4``), and every ``conf*`` macro name the cf files
  read, so a ``define`` of any other ``conf*`` name can be reported as ignored;
- ``cf_library.json``: the text of the cf files a ``.mc`` pulls in (``m4/cfhead.m4``, the
  start of ``m4/proto.m4``, ``ostype/``, ``domain/``, ``feature/``, ``mailer/``, ``hack/``,
  ``siteconfig/`` and Debian's ``debian/autoconf.m4``), which mtalint's own m4 evaluator
  reads in place of the installed files, so results do not depend on the machine.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "linter" / "mta" / "sendmail" / "data"

_OPTION = re.compile(r"^_OPTION\(([^,]+),\s*`(\w+)'(?:,\s*`(.*?)')?\)(?:'\))?\s*$")
_CONF = re.compile(r"\bconf[A-Z0-9_]+\b")


def _version() -> str:
    try:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", "sendmail-cf"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        out = ""
    return out or "unknown"


def main(cf: Path) -> None:
    proto = (cf / "m4" / "proto.m4").read_text(encoding="utf-8")
    lines = proto.split("\n")
    head_end = next(i for i, line in enumerate(lines) if line.startswith("divert(0)dnl"))
    options: list[dict[str, object]] = []
    in_milter = False
    for number, line in enumerate(lines, start=1):
        if line.startswith("ifelse(len(X`'_MAIL_FILTERS_DEF)"):
            in_milter = True
        m = _OPTION.match(line)
        if m:
            name, macro, default = m.groups()
            entry: dict[str, object] = {"option": name, "macro": macro, "line": number}
            entry["default"] = default
            if in_milter:
                entry["milter"] = True
            options.append(entry)
            if line.rstrip().endswith("')')"):
                in_milter = False
    features = sorted(p.stem for p in (cf / "feature").glob("*.m4"))
    read: set[str] = set()
    library: dict[str, str] = {}
    for folder in ("ostype", "domain", "feature", "mailer", "hack", "siteconfig"):
        for path in sorted((cf / folder).glob("*.m4")):
            text = path.read_text(encoding="utf-8")
            library[f"{folder}/{path.name}"] = text
    library["m4/cfhead.m4"] = (cf / "m4" / "cfhead.m4").read_text(encoding="utf-8")
    library["m4/proto_head.m4"] = "\n".join(lines[:head_end]) + "\n"
    # the parts of proto.m4 that write the O lines: the two options set before any map
    # is declared, and the "Options" section up to the queue groups
    first = next(i for i, line in enumerate(lines) if line.startswith("_OPTION(DontBlame"))
    ldap = next(i for i, line in enumerate(lines) if line.startswith("_OPTION(LDAPDefault"))
    start = next(i for i, line in enumerate(lines) if line.startswith("#   Options   #"))
    end = next(i for i, line in enumerate(lines) if "# QUEUE GROUP DEFINITIONS" in line)
    section = lines[first : ldap + 1] + lines[start + 1 : end - 1]
    library["m4/proto_options.m4"] = "\n".join(section) + "\n"
    autoconf = cf / "debian" / "autoconf.m4"
    if autoconf.is_file():
        library["debian/autoconf.m4"] = autoconf.read_text(encoding="utf-8")
    for text in [proto, *library.values()]:
        read.update(_CONF.findall(text))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "options.json").write_text(
        json.dumps(
            {
                "sendmail_cf": _version(),
                "options": options,
                "features": features,
                "known_macros": sorted(read),
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    (OUT / "cf_library.json").write_text(
        json.dumps({"sendmail_cf": _version(), "files": library}, indent=0, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    print(f"{len(options)} options, {len(features)} features, {len(library)} library files")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/sendmail/cf"))
