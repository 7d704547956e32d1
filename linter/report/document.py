"""Rendering a compliance report document (see :mod:`.compliance`) as HTML, Markdown or JSON.

HTML autoescapes everything a configuration or DNS answer contributes: a banner such as
``<script>alert(1)</script>`` appears as text. The page is one file with its styles and
chart inline, nothing fetched. Markdown escapes what GitHub would read as markup or HTML.
"""

from __future__ import annotations

import json
import re
from typing import Any

from linter.report.compliance import STATUSES

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md(text: Any) -> str:
    """Text for Markdown prose: markup characters escaped, HTML neutralised."""
    value = " ".join(str(text).split())
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", value)


def md_code(text: Any) -> str:
    """Text inside a Markdown code span (in a table cell: pipes escaped)."""
    return " ".join(str(text).split()).replace("`", "'").replace("|", "\\|")


def render(document: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    import jinja2

    # Markdown is escaped by the md/md_code filters instead; HTML autoescapes everything
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("linter", "templates"),
        autoescape=fmt == "html",  # noqa: S701 - on for HTML; Markdown uses md/md_code
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md
    env.filters["md_code"] = md_code
    template = env.get_template("report.html.j2" if fmt == "html" else "report.md.j2")
    return template.render(**document, statuses=STATUSES)
