"""Which files are hMailServer's: by name, or by what their first bytes say.

Names first (``hMailServer.INI`` in any case, ``hMailServerBackup.xml``,
``HMBackup*.7z``); other ``.ini``, ``.xml`` and ``.json`` files count only when their
content is hMailServer's: the INI's security or database keys, a ``<Backup>`` root with
``<BackupInformation>``, a JSON object with the COM collection keys. A JSON file is never
taken for an export just because of its name.
"""

from __future__ import annotations

import re
from pathlib import Path

from linter.mta.text import head_text

_INI_MARKERS = (
    re.compile(r"^[ \t]*AdministratorPassword[ \t]*=", re.IGNORECASE | re.MULTILINE),
    re.compile(r"^[ \t]*ProgramFolder[ \t]*=.*hMailServer", re.IGNORECASE | re.MULTILINE),
)
_INI_DATABASE = re.compile(r"^[ \t]*\[Database\]", re.IGNORECASE | re.MULTILINE)
_INI_ENCRYPTION = re.compile(r"^[ \t]*PasswordEncryption[ \t]*=", re.IGNORECASE | re.MULTILINE)
# two linear searches, not one pattern with a lazy gap (which rescans the rest of the
# text for every "<Backup" that is not followed by the information element)
_XML_ROOT = re.compile(r"<Backup[\s>/]")
_XML_INFORMATION = re.compile(r"<BackupInformation[\s>/]")
# collection keys only hMailServer's COM API has
_JSON_COLLECTIONS = re.compile(r'"(TCPIPPorts|SecurityRanges|SSLCertificates|IncomingRelays)"\s*:')
_JSON_SETTINGS = re.compile(r'"Settings"\s*:\s*\{')
_JSON_PROPERTIES = re.compile(
    r'"(SMTPRelayer|MaxMessageSize|WelcomeSMTP|AutoBanOnLogonFailure|SMTPConnectionSecurity)"\s*:'
)


def detect(path: Path) -> str | None:
    name = path.name.lower()
    if name == "hmailserver.ini":
        return "hmailserver-ini"
    if name == "hmailserverbackup.xml":
        return "hmailserver-xml"
    if name.startswith("hmbackup") and name.endswith(".7z"):
        return "hmailserver-7z"
    for suffix in (".ini", ".xml", ".json"):
        if name.endswith(suffix):
            return detect_content(path, (suffix[1:],))
    return None


def detect_content(path: Path, kinds: tuple[str, ...] = ("ini", "xml", "json")) -> str | None:
    """The hMailServer format of ``path`` by its content alone, among ``kinds``."""
    head = head_text(path)
    if head is None:
        return None
    if "ini" in kinds and (
        any(m.search(head) for m in _INI_MARKERS)
        or (_INI_DATABASE.search(head) and _INI_ENCRYPTION.search(head))
    ):
        return "hmailserver-ini"
    if "xml" in kinds:
        text = head[:65536]
        root = _XML_ROOT.search(text)
        if root is not None and _XML_INFORMATION.search(text, root.start()):
            return "hmailserver-xml"
    if "json" in kinds and (
        _JSON_COLLECTIONS.search(head)
        or (_JSON_SETTINGS.search(head) and _JSON_PROPERTIES.search(head))
    ):
        return "hmailserver-json"
    return None
