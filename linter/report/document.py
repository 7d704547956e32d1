"""Rendering a compliance report document (see :mod:`.compliance`) as HTML, Markdown or JSON.

HTML autoescapes everything a configuration or DNS answer contributes: a banner such as
``<script>alert(1)</script>`` appears as text. The page is one file with its styles and
chart inline, nothing fetched. Markdown escapes what GitHub would read as markup or HTML,
and, posted as a pull-request comment, must not notify anyone or link anything: ``@name``,
``#12``, ``GH-3``, ``https://…`` and ``www.…`` from a configuration get a zero-width space
(``&#8203;``) that breaks GitHub's autolinking while the text reads the same. Code spans,
where GitHub links nothing, keep the value as written.

In every format, control and bidirectional characters and the bytes of a file name that
is not UTF-8 are shown as escapes (:mod:`linter.textsafe`); JSON keeps values exact but
for such names.
"""

from __future__ import annotations

import json
import re
from typing import Any

from linter.report.compliance import STATUSES
from linter.textsafe import encodable_json, printable

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
# what GitHub turns into a mention, an issue or commit link, or a URL; after each match a
# zero-width space goes in, written as an entity so the Markdown source shows it
_ZWSP = "&#8203;"
_AUTOLINKED = (
    (re.compile(r"#"), "#" + _ZWSP),  # first: the entities added below hold a '#'
    (re.compile(r"@"), "@" + _ZWSP),
    (re.compile(r"\b(GH)(?=-\d)", re.IGNORECASE), r"\1" + _ZWSP),
    (re.compile(r"\b([a-z][a-z0-9+.-]*)(?=:(?://|[^\s]*@))", re.IGNORECASE), r"\1" + _ZWSP),
    (re.compile(r"\b(www)(?=\.)", re.IGNORECASE), r"\1" + _ZWSP),
)


def _inert(markdown: str) -> str:
    for pattern, replacement in _AUTOLINKED:
        markdown = pattern.sub(replacement, markdown)
    return markdown


def md(text: Any) -> str:
    """Text for Markdown prose: markup characters escaped, HTML neutralised, nothing that
    GitHub would turn into a mention or a link."""
    value = printable(" ".join(str(text).split()))
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _inert(_MD_SPECIAL.sub(r"\\\1", value))


def md_code(text: Any) -> str:
    """Text inside a Markdown code span (in a table cell: pipes escaped)."""
    return printable(" ".join(str(text).split())).replace("`", "'").replace("|", "\\|")


def _shown(value: Any) -> Any:
    """Every ``{{ value }}`` of a template, before HTML escaping: printable."""
    if isinstance(value, str) and not hasattr(value, "__html__"):
        return printable(value)
    return value


# GitHub's limit on a pull-request comment
COMMENT_LIMIT = 65_536


def render(document: dict[str, Any], fmt: str, summary_only: bool = False) -> str:
    """The document as ``json``, ``html`` or ``md``; ``summary_only`` (Markdown): the
    summary alone, with as many hosts (worst first) as fit in a pull-request comment."""
    if fmt == "json":
        return encodable_json(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"
    env = environment(fmt)
    template = env.get_template("report.html.j2" if fmt == "html" else "report.md.j2")
    sets = document["sets"]
    shown = len(sets)
    while True:
        text = template.render(
            **document, statuses=STATUSES, summary_only=summary_only, shown_sets=sets[:shown]
        )
        if not summary_only or len(text) <= COMMENT_LIMIT or shown == 0:
            return text
        # fewer hosts, in proportion to the excess (the rows are about equally long)
        shown = min(shown - 1, shown * (COMMENT_LIMIT - 2_000) // len(text))


def environment(fmt: str) -> Any:
    """The Jinja environment of the ``html`` or ``md`` templates, escaping as described
    above (also used by ``mtalint diagnose`` for its section templates)."""
    import jinja2

    # Markdown is escaped by the md/md_code filters instead; HTML autoescapes everything
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("linter", "templates"),
        autoescape=fmt == "html",  # noqa: S701 - on for HTML; Markdown uses md/md_code
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
        finalize=_shown,
    )
    env.filters["md"] = md
    env.filters["md_code"] = md_code
    return env
