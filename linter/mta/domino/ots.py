"""Domino One-Touch Setup (OTS) JSON → the settings and documents it writes.

OTS (Domino 12+) reads one JSON object (HCL: "Preparing the JSON file input
parameters"); mtalint reads the parts that decide SMTP:

* ``serverSetup.notesINI``: notes.ini settings the setup writes;
* ``serverSetup.server.serverTasks`` / ``additionalServerTasks``: the tasks started;
* ``serverSetup.network.hostName``, and ``serverSetup.security.TLSSetup`` (a
  certificate is created: Domino MicroCA, CertMgr...);
* ``appConfiguration.databases[].documents[]`` of ``names.nsf``: the documents it
  creates or updates, by their ``Form`` (or the ``Form``/``Type`` of ``findDocument``,
  or a ``findDocument`` formula naming ``Form = {Server}``): the Server document, the
  Configuration Settings document (``ServerConfig``) and the SMTP Internet Site
  document (``SMTPInboundSite``).

HCL requires UTF-8 without a byte-order mark; another encoding is still read (so the
settings are checked) and reported. Nesting is bounded before parsing and NaN refused
(hMailServer's ``load_json``, shared).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import Any

from linter.diagnostics import Diagnostic
from linter.mta.domino.notes_ini import add_setting
from linter.mta.domino.values import Value, make_value
from linter.mta.jsontext import Locations, get_ignoring_case, load_json
from linter.mta.text import utf16_kind
from linter.source import InputError, Span

MAX_DOCUMENTS = 10000
MAX_ITEMS = 100000
_SERVER_FORMULA = re.compile(r"\bForm\s*=\s*(?:\{Server\}|\"Server\")", re.IGNORECASE)
# the Form names of the documents mtalint reads → its own name for them
FORMS = {"server": "server", "serverconfig": "config", "smtpinboundsite": "smtp-site"}


@dataclass
class Document:
    kind: str  # "server", "config", "smtp-site"
    action: str  # "create" or "update" (OTS's word)
    span: Span
    items: dict[str, Value] = field(default_factory=dict)  # lower-case item name → value

    def get(self, name: str) -> Value | None:
        return self.items.get(name.lower())


@dataclass
class OtsSetup:
    path: str
    notes_ini: dict[str, Value] = field(default_factory=dict)
    server_tasks: list[Value] = field(default_factory=list)
    host_name: Value | None = None
    tls_setup: Value | None = None
    documents: list[Document] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def encoding_problem(display: str, data: bytes) -> Diagnostic | None:
    """HCL's OTS reads UTF-8 without a byte-order mark: anything else is reported."""
    kind = utf16_kind(data)
    if kind is None and not data.startswith(codecs.BOM_UTF8):
        return None
    if kind is None:
        what = "UTF-8 with a byte-order mark"
    else:
        what = kind.removesuffix("-bom").upper() + (" with a BOM" if kind.endswith("-bom") else "")
    return Diagnostic(
        "encoding",
        f"the file is {what}: Domino's One-Touch Setup reads UTF-8 without a byte-order "
        "mark, so the setup may not read this file",
        Span(display, 1, 1),
    )


def _form_of(doc: dict[str, Any]) -> str:
    items, _ = get_ignoring_case(doc, "items")
    for source in (items, get_ignoring_case(doc, "findDocument")[0]):
        if isinstance(source, dict):
            for key in ("Form", "Type"):
                value, _ = get_ignoring_case(source, key)
                if isinstance(value, str) and value.lower() in FORMS:
                    return FORMS[value.lower()]
        elif isinstance(source, str) and _SERVER_FORMULA.search(source):
            return "server"
    return ""


class _Reader:
    def __init__(self, path: str, text: str) -> None:
        self.loc = Locations(path, text)
        self.out = OtsSetup(path)
        self.items = 0
        # a key given twice in one object: json keeps the last, Domino's choice is unknown
        self.duplicated = {tuple(where) for where, _ in self.loc.duplicates}

    def span(self, *where: str | int) -> Span:
        return self.loc.span(where)

    def value(self, name: str, raw: Any, *where: str | int) -> Value:
        value = make_value(name, raw, self.span(*where))
        value.unknown = value.unknown or where in self.duplicated
        return value

    def problem(self, kind: str, message: str, span: Span) -> None:
        self.out.diagnostics.append(Diagnostic(kind, message, span))

    def read(self, data: dict[str, Any]) -> OtsSetup:
        for dup, offset in self.loc.duplicates:
            line, column = self.loc.position(offset)
            self.problem(
                "duplicate-key",
                f"{'.'.join(str(p) for p in dup)} is given twice: which one Domino's setup "
                "uses is not documented, so it is not judged",
                Span(self.loc.path, line, column),
            )
        setup, setup_key = get_ignoring_case(data, "serverSetup")
        if isinstance(setup, dict):
            self.server_setup(setup, setup_key)
        apps, apps_key = get_ignoring_case(data, "appConfiguration")
        if isinstance(apps, dict):
            self.app_configuration(apps, apps_key)
        return self.out

    def server_setup(self, setup: dict[str, Any], key: str) -> None:
        ini, ini_key = get_ignoring_case(setup, "notesINI")
        if isinstance(ini, dict):
            for name, raw in ini.items():
                value = self.value(name, raw, key, ini_key, name)
                add_setting(self.out.notes_ini, self.out.diagnostics, value, "serverSetup.notesINI")
        elif ini is not None:
            self.problem("invalid-value", "serverSetup.notesINI is not an object", self.span(key))
        server, server_key = get_ignoring_case(setup, "server")
        if isinstance(server, dict):
            for task_key in ("serverTasks", "additionalServerTasks"):
                raw, written = get_ignoring_case(server, task_key)
                if isinstance(raw, str):
                    self.out.server_tasks.append(self.value(written, raw, key, server_key, written))
        network, network_key = get_ignoring_case(setup, "network")
        if isinstance(network, dict):
            raw, written = get_ignoring_case(network, "hostName")
            if isinstance(raw, str):
                self.out.host_name = self.value(written, raw, key, network_key, written)
        security, security_key = get_ignoring_case(setup, "security")
        if isinstance(security, dict):
            tls, tls_key = get_ignoring_case(security, "TLSSetup")
            if isinstance(tls, dict):
                method, _ = get_ignoring_case(tls, "method")
                self.out.tls_setup = self.value(tls_key, method, key, security_key, tls_key)

    def app_configuration(self, apps: dict[str, Any], key: str) -> None:
        databases, db_key = get_ignoring_case(apps, "databases")
        if not isinstance(databases, list):
            return
        for i, db in enumerate(databases):
            if not isinstance(db, dict):
                continue
            path, _ = get_ignoring_case(db, "filePath")
            if not isinstance(path, str) or path.strip().lower() != "names.nsf":
                continue
            docs, docs_key = get_ignoring_case(db, "documents")
            if not isinstance(docs, list):
                continue
            for j, doc in enumerate(docs):
                if len(self.out.documents) >= MAX_DOCUMENTS:
                    self.problem(
                        "limit-exceeded",
                        f"more than {MAX_DOCUMENTS} documents: the rest is not read",
                        self.span(key, db_key, i, docs_key, j),
                    )
                    return
                if isinstance(doc, dict):
                    self.document(doc, (key, db_key, i, docs_key, j))

    def document(self, doc: dict[str, Any], where: tuple[str | int, ...]) -> None:
        kind = _form_of(doc)
        if not kind:
            return
        action, _ = get_ignoring_case(doc, "action")
        items, items_key = get_ignoring_case(doc, "items")
        out = Document(kind, str(action or "create").lower(), self.span(*where))
        if isinstance(items, dict):
            for name, raw in items.items():
                self.items += 1
                if self.items > MAX_ITEMS:
                    self.problem(
                        "limit-exceeded",
                        f"more than {MAX_ITEMS} document items: the rest is not read",
                        self.span(*where, items_key, name),
                    )
                    break
                if isinstance(raw, dict):
                    continue  # not an item value OTS writes
                out.items[name.lower()] = self.value(name, raw, *where, items_key, name)
        self.out.documents.append(out)


_TEMPLATE_STATEMENT = re.compile(r"\{%.*?%\}", re.DOTALL)


def read_ots(path: str, text: str) -> OtsSetup:
    try:
        data = load_json(path, text)
    except InputError as exc:
        statement = _TEMPLATE_STATEMENT.search(text[:1_000_000])
        if statement is None:
            raise
        # an Ansible/Jinja template of the setup file: its {% %} statements decide what
        # the JSON will be, which only rendering it can tell
        raise InputError(
            path,
            f"{exc.message}: the file is a template with {{% %}} statements; render it "
            "and check the result",
            exc.line,
            exc.column,
        ) from None
    if not isinstance(data, dict) or not any(
        k.lower() in ("serversetup", "appconfiguration") for k in data
    ):
        raise InputError(
            path,
            "not a Domino One-Touch Setup file: expected a JSON object with serverSetup or "
            "appConfiguration",
        )
    return _Reader(path, text).read(data)
