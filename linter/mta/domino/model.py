"""The Domino model: notes.ini settings and Domino Directory documents, from every
input of a config set (notes.ini files and One-Touch Setup JSON files)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from linter.diagnostics import Diagnostic
from linter.mta.domino.notes_ini import NotesIni, add_setting
from linter.mta.domino.ots import Document, OtsSetup
from linter.mta.domino.values import Value

# the notes.ini settings documented to write the SMTP session to the debug file
DEBUG_SETTINGS = ("SMTPDebugIO",)
# notes.ini settings that change SMTP behaviour, recorded in the facts (SMTPClientDebug
# and SMTPMaxForRecipients are not described by any public HCL page: recorded only)
SMTP_SETTINGS = (
    "SMTPRelayHostsandDomains",
    "SMTPMaxForRecipients",
    "SMTPClientDebug",
    *DEBUG_SETTINGS,
)


@dataclass
class DominoModel:
    path: str = ""
    forms: list[str] = field(default_factory=list)  # "notes-ini", "ots"
    settings: dict[str, Value] = field(default_factory=dict)  # notes.ini, lower-case name
    server_tasks: list[Value] = field(default_factory=list)
    host_name: Value | None = None
    tls_setup: Value | None = None
    documents: list[Document] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def add_ini(self, ini: NotesIni) -> None:
        self.forms.append("notes-ini")
        self.path = self.path or ini.path
        self.diagnostics.extend(ini.diagnostics)
        for value in ini.settings.values():
            add_setting(self.settings, self.diagnostics, value, "notes.ini and the setup")
            if value.name.lower() == "servertasks":
                self.server_tasks.append(value)

    def add_ots(self, ots: OtsSetup) -> None:
        self.forms.append("ots")
        self.path = self.path or ots.path
        self.diagnostics.extend(ots.diagnostics)
        for value in ots.notes_ini.values():
            add_setting(self.settings, self.diagnostics, value, "notes.ini and the setup")
            if value.name.lower() == "servertasks":
                self.server_tasks.append(value)
        self.server_tasks.extend(ots.server_tasks)
        self.host_name = self.host_name or ots.host_name
        self.tls_setup = self.tls_setup or ots.tls_setup
        self.documents.extend(ots.documents)

    def setting(self, name: str) -> Value | None:
        return self.settings.get(name.lower())

    def docs(self, kind: str) -> list[Document]:
        return [d for d in self.documents if d.kind == kind]

    def item(self, kind: str, name: str) -> tuple[Value | None, bool]:
        """The item of the documents of ``kind`` (the last document that sets it) and
        whether any document of that kind is in the input at all."""
        docs = self.docs(kind)
        found = None
        for doc in docs:
            found = doc.get(name) or found
        return found, bool(docs)

    def smtp_settings(self) -> list[dict[str, Any]]:
        out = []
        for name in SMTP_SETTINGS:
            value = self.setting(name)
            if value is not None:
                out.append({**value.to_dict(), "setting": name})
        return out

    def debug_settings(self) -> list[Value]:
        """The SMTP debug settings set to something other than 0 (or unknown)."""
        found = []
        for name in DEBUG_SETTINGS:
            value = self.setting(name)
            if value is not None and not value.unknown and value.text.strip() not in ("", "0"):
                found.append(value)
        return found
