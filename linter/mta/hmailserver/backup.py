"""hMailServer's backup: ``hMailServerBackup.xml``, bare or inside ``HMBackup*.7z``.

The XML is parsed with defusedxml over expat: a document that declares entities (the
"billion laughs" bomb, external entities naming files or URLs) is refused before any
expansion, and nothing is ever fetched. Elements keep the line and column expat reports,
attributes the place of their value in the text, so a finding points at the attribute
that decides it.

The layout is the one ``BackupExecuter.cpp`` writes: a ``<Backup>`` root (the only
root hMailServer's restore accepts), ``<BackupInformation Mode Version>``, the settings
as ``<Properties><name LongValue StringValue/>``, and collections such as
``<TCPIPPorts><TCPIPPort .../>``; empty collections are left out.

Reading a ``.7z`` needs py7zr (the optional extra ``mtalint[7z]``); only
``hMailServerBackup.xml`` is taken out of it, in memory, within the file-size limit.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from linter.mta.hmailserver.model import (
    Builder,
    Certificate,
    HMailModel,
    IncomingRelay,
    Route,
)
from linter.mta.hmailserver.settings import BY_DB, RANGE_BITS
from linter.source import InputError, Span, open_regular

BACKUP_XML = "hmailserverbackup.xml"
# BackupInformation Mode bits (BackupManager.h): 1 settings, 2 domains, 4 messages
MODE_SETTINGS = 1


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    line: int
    column: int  # 1-based, of the "<"
    children: list[Node] = field(default_factory=list)

    def child(self, tag: str) -> Node | None:
        return next((c for c in self.children if c.tag == tag), None)

    def items(self, collection: str, item: str) -> list[Node]:
        parent = self.child(collection)
        return [c for c in parent.children if c.tag == item] if parent is not None else []


class XmlText:
    """The document text, to turn expat's positions into spans of attribute values."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self._attributes: dict[int, dict[str, Span]] = {}
        self.starts = [0]
        newline = text.find("\n")
        while newline != -1:
            self.starts.append(newline + 1)
            newline = text.find("\n", newline + 1)

    def offset(self, line: int, column: int) -> int:
        return self.starts[line - 1] + column - 1 if 0 < line <= len(self.starts) else 0

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1

    def element(self, node: Node) -> Span:
        return Span(self.path, node.line, node.column, node.line, node.column + len(node.tag) + 1)

    def attribute(self, node: Node, name: str) -> Span:
        """The span of attribute ``name``'s value, or of the element when it has none."""
        spans = self._attributes.get(id(node))
        if spans is None:
            spans = self._attributes[id(node)] = self._scan_attributes(node)
        return spans.get(name) or self.element(node)

    def _scan_attributes(self, node: Node) -> dict[str, Span]:
        start = self.offset(node.line, node.column)
        tag = _START_TAG.match(self.text, start)
        end = tag.end() if tag else min(len(self.text), start + 65536)
        spans: dict[str, Span] = {}
        for m in _ATTRIBUTE.finditer(self.text, start, end):
            line, column = self.position(m.start(2) + 1)
            end_line, end_column = self.position(m.end(2) - 1)
            spans.setdefault(m.group(1), Span(self.path, line, column, end_line, end_column))
        return spans


_START_TAG = re.compile(r"""<[^\s/>]+(?:[^"'>]|"[^"]*"|'[^']*')*>""")
_ATTRIBUTE = re.compile(r"""([\w.:-]+)\s*=\s*("[^"]*"|'[^']*')""")


class _Target:
    """Receives expat's events and builds the element tree, with positions."""

    def __init__(self) -> None:
        self.parser: Any = None
        self.root: Node | None = None
        self.stack: list[Node] = []
        self.comments: list[tuple[int, str]] = []

    def _where(self) -> tuple[int, int]:
        expat = getattr(self.parser, "parser", None)
        if expat is None:
            return 1, 1
        return expat.CurrentLineNumber, expat.CurrentColumnNumber + 1

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        line, column = self._where()
        node = Node(tag, dict(attrs), line, column)
        if self.stack:
            self.stack[-1].children.append(node)
        elif self.root is None:
            self.root = node
        self.stack.append(node)

    def end(self, tag: str) -> None:
        self.stack.pop()

    def data(self, data: str) -> None:
        pass

    def comment(self, text: str) -> None:
        self.comments.append((self._where()[0], text.strip()))

    def close(self) -> Node | None:
        return self.root


def parse_xml(path: str, text: str) -> tuple[Node, list[tuple[int, str]]]:
    """The element tree of ``text``, or an InputError saying what is wrong and where."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException, EntitiesForbidden, ExternalReferenceForbidden
    from defusedxml.ElementTree import DefusedXMLParser

    target = _Target()
    xml_parser = DefusedXMLParser(
        target=target, forbid_dtd=False, forbid_entities=True, forbid_external=True
    )
    target.parser = xml_parser
    try:
        xml_parser.feed(text)
        root = xml_parser.close()
    except EntitiesForbidden as exc:
        line, column = target._where()
        if exc.sysid or exc.pubid:
            message = (
                f"external entity {exc.name!r} ({exc.sysid or exc.pubid}) refused: mtalint "
                "never reads a file or URL that an XML document names"
            )
        else:
            message = (
                f"entity declaration {exc.name!r} refused: entity expansion (an 'XML bomb') "
                "is not allowed, and hMailServer backups declare no entities"
            )
        raise InputError(path, message, line, column) from None
    except ExternalReferenceForbidden as exc:
        line, column = target._where()
        raise InputError(
            path,
            f"external reference ({exc.sysid or exc.pubid}) refused: mtalint never reads a "
            "file or URL that an XML document names",
            line,
            column,
        ) from None
    except DefusedXmlException as exc:
        line, column = target._where()
        raise InputError(path, f"XML construct refused: {exc}", line, column) from None
    except ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(": line ")[0]
        raise InputError(path, f"not well-formed XML: {reason}", line, column + 1) from None
    if root is None:
        raise InputError(path, "the XML document has no root element")
    return root, target.comments


def read_archive(path: Path, display: str, max_bytes: int, root: Path | None = None) -> bytes:
    """The bytes of ``hMailServerBackup.xml`` inside an ``HMBackup*.7z`` archive."""
    try:
        import py7zr
        from py7zr.io import BytesIOFactory
    except ImportError:
        raise InputError(
            display,
            "reading HMBackup .7z archives needs py7zr: install the extra with "
            "pip install 'mtalint[7z]' (or check the hMailServerBackup.xml inside it)",
        ) from None
    try:
        with (
            open_regular(path, display, root) as handle,
            py7zr.SevenZipFile(handle, mode="r") as archive,
        ):
            if archive.needs_password():
                raise InputError(
                    display, "the 7z archive is encrypted; check its hMailServerBackup.xml"
                )
            members = [
                info
                for info in archive.list()
                if not info.is_directory
                and PurePosixPath(info.filename.replace("\\", "/")).name.lower() == BACKUP_XML
            ]
            if not members:
                raise InputError(display, "the 7z archive holds no hMailServerBackup.xml")
            member = members[0]
            if member.uncompressed > max_bytes:
                raise InputError(
                    display,
                    f"hMailServerBackup.xml in the archive is {member.uncompressed} bytes, over "
                    f"the limit of {max_bytes} bytes (raise it with --max-file-size)",
                )
            factory = BytesIOFactory(max_bytes + 1)
            archive.extract(targets=[member.filename], factory=factory)
            stream = factory.get(member.filename)
            stream.seek(0)
            data: bytes = stream.read()
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of the decompressor is bad input
        raise InputError(
            display, f"cannot read the 7z archive: {exc or type(exc).__name__}"
        ) from None
    if len(data) > max_bytes:
        raise InputError(display, f"hMailServerBackup.xml is over the limit of {max_bytes} bytes")
    return data


def load_backup(model: HMailModel, path: str, text: str) -> None:
    """Fill ``model`` from the text of a backup XML (or raise InputError)."""
    root, comments = parse_xml(path, text)
    doc = XmlText(path, text)
    model.comments.extend((path, line, comment) for line, comment in comments)
    if root.tag != "Backup":
        raise InputError(
            path,
            f"not an hMailServer backup: the root element is <{root.tag}>, and hMailServer "
            "restores only <Backup> files",
            root.line,
            root.column,
        )
    builder = Builder(model, "xml", path)
    info = root.child("BackupInformation")
    version = info.attrs.get("Version", "") if info is not None else ""
    if info is not None and "Mode" in info.attrs:
        mode = builder.number("Mode", info.attrs["Mode"], doc.attribute(info, "Mode"))
        if not mode & MODE_SETTINGS:
            builder.diagnostic(
                "no-database-settings",
                f"this backup was made without settings (BackupInformation Mode={mode}): "
                "it holds no TCP/IP ports, IP ranges or relay settings to check",
                doc.attribute(info, "Mode"),
                parameter="Mode",
            )
            model.version = version
            _domains(model, root)
            return
    builder.start(version)
    properties = root.child("Properties")
    if properties is not None:
        model.settings_span = doc.element(properties)
        for node in properties.children:
            definition = BY_DB.get(node.tag.lower())
            value_attr = (
                "StringValue"
                if definition is not None and definition.kind == "str"
                else "LongValue"
            )
            builder.setting_by_db(
                node.tag,
                node.attrs.get("LongValue", ""),
                node.attrs.get("StringValue", ""),
                doc.attribute(node, value_attr),
                doc.attribute(node, "LongValue"),
            )
    _certificates(builder, doc, root)
    _ports(builder, doc, root)
    _ranges(builder, doc, root)
    _routes(builder, doc, root)
    for node in root.items("IncomingRelays", "IncomingRelay"):
        model.incoming_relays.append(
            IncomingRelay(
                node.attrs.get("Name", ""),
                node.attrs.get("LowerIP", ""),
                node.attrs.get("UpperIP", ""),
                doc.element(node),
            )
        )
    _domains(model, root)


def _domains(model: HMailModel, root: Node) -> None:
    model.domains = [n.attrs.get("Name", "") for n in root.items("Domains", "Domain")]


def _certificates(builder: Builder, doc: XmlText, root: Node) -> None:
    for node in root.items("SSLCertificates", "SSLCertificate"):
        builder.model.certificates.append(
            Certificate(
                node.attrs.get("Name", ""),
                node.attrs.get("CertificateFile", ""),
                node.attrs.get("PrivateKeyFile", ""),
                doc.element(node),
            )
        )


def _security(builder: Builder, doc: XmlText, node: Node) -> int:
    # TCPIPPort/Route XMLLoad: the legacy UseSSL="1" means SSL/TLS
    if node.attrs.get("UseSSL") == "1":
        return 1
    return builder.number(
        "ConnectionSecurity",
        node.attrs.get("ConnectionSecurity", "0"),
        doc.attribute(node, "ConnectionSecurity"),
    )


def _ports(builder: Builder, doc: XmlText, root: Node) -> None:
    names = {c.name for c in builder.model.certificates}
    for node in root.items("TCPIPPorts", "TCPIPPort"):
        a = node.attrs
        certificate = a.get("SSLCertificateName", "")
        tls = doc.attribute(node, "UseSSL" if a.get("UseSSL") == "1" else "ConnectionSecurity")
        builder.port(
            builder.number(
                "PortProtocol", a.get("PortProtocol"), doc.attribute(node, "PortProtocol")
            ),
            builder.number("PortNumber", a.get("PortNumber"), doc.attribute(node, "PortNumber")),
            a.get("Address", ""),
            _security(builder, doc, node),
            certificate,
            certificate in names,
            doc.element(node),
            {
                "tls": tls,
                "certificate": doc.attribute(node, "SSLCertificateName") if certificate else tls,
                "port": doc.attribute(node, "PortNumber"),
                "address": doc.attribute(node, "Address"),
            },
        )


def _ranges(builder: Builder, doc: XmlText, root: Node) -> None:
    for node in root.items("SecurityRanges", "SecurityRange"):
        a = node.attrs
        options_span = doc.attribute(node, "Options")
        fields = {name: options_span for name, _, _ in RANGE_BITS}
        fields["LowerIP"] = doc.attribute(node, "LowerIP")
        fields["UpperIP"] = doc.attribute(node, "UpperIP")
        fields["priority"] = doc.attribute(node, "Priority")
        builder.security_range(
            a.get("Name", ""),
            a.get("LowerIP", ""),
            a.get("UpperIP", ""),
            builder.number("Priority", a.get("Priority"), fields["priority"]),
            builder.number("Options", a.get("Options"), options_span),
            a.get("Expires") == "1",
            doc.element(node),
            fields,
        )


def _routes(builder: Builder, doc: XmlText, root: Node) -> None:
    for node in root.items("Routes", "Route"):
        a = node.attrs
        tls = doc.attribute(node, "UseSSL" if a.get("UseSSL") == "1" else "ConnectionSecurity")
        builder.model.routes.append(
            Route(
                a.get("Name", ""),
                a.get("Description", ""),
                a.get("TargetHost", ""),
                builder.number(
                    "TargetPort", a.get("TargetPort"), doc.attribute(node, "TargetPort")
                ),
                a.get("RequiresAuthentication") == "1",
                a.get("Username", ""),
                _security(builder, doc, node),
                doc.element(node),
                {
                    "tls": tls,
                    "auth": doc.attribute(node, "RequiresAuthentication"),
                    "port": doc.attribute(node, "TargetPort"),
                },
            )
        )
