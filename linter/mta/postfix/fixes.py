"""The mechanical fixes for main.cf findings (``mtalint check --fix``).

Only changes whose outcome is certain and local, each attached to the diagnostic it
fixes as an :class:`~linter.findings.Edit` (``data["edit"]``):

- a misspelt parameter name with one clear correction: renamed;
- a deprecated name whose successor's built-in default is the old name's value: renamed
  (the value carries over unchanged, see :data:`RENAMED`);
- a parameter set twice to the same value: the earlier line deleted (the last wins).

Anything that needs judgement (a choice of names, a value to translate, an order of
lines that would start to matter) gets no edit.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from linter.findings import Edit
from linter.mta.postfix import params
from linter.mta.postfix.expand import references

if TYPE_CHECKING:
    from linter.diagnostics import Diagnostic
    from linter.mta.postfix.model import PostfixModel
    from linter.source import SourceFile, Span

#: Deprecated name → (successor, first Postfix release that knows the successor). Each
#: successor's built-in default is the old name's value (``postconf -d`` of 3.7.11:
#: ``virtual_alias_maps = $virtual_maps``, ``postscreen_denylist_action =
#: ${postscreen_blacklist_action?{$postscreen_blacklist_action}:{ignore}}``, ...), so
#: with the successor unset, the renamed line means what the old one meant. Left out on
#: purpose: the *_use_tls/*_enforce_tls switches (yes/no become a security level),
#: *_tls_per_site (another table format), disable_dns_lookups (another value) and
#: postscreen_dnsbl_ttl (its successor appends a unit to the old value), and the names
#: whose successor's default is ``${old:...}`` (smtpd_client_connection_limit_exceptions,
#: tlsproxy_client_level, tlsproxy_client_policy): ``${old:x}`` is empty when old is set,
#: so Postfix does not carry the old value over (``postconf -x`` shows the successor
#: empty) and a rename would change what the server does.
RENAMED: dict[str, tuple[str, tuple[int, int, int]]] = {
    "virtual_maps": ("virtual_alias_maps", (2, 0, 0)),
    "authorized_verp_clients": ("smtpd_authorized_verp_clients", (2, 1, 0)),
    "fallback_relay": ("smtp_fallback_relay", (2, 3, 0)),
    "postscreen_blacklist_action": ("postscreen_denylist_action", (3, 6, 0)),
    "postscreen_whitelist_interfaces": ("postscreen_allowlist_interfaces", (3, 6, 0)),
    "postscreen_dnsbl_whitelist_threshold": ("postscreen_dnsbl_allowlist_threshold", (3, 6, 0)),
    "smtpd_per_record_deadline": ("smtpd_per_request_deadline", (3, 7, 0)),
    "smtp_per_record_deadline": ("smtp_per_request_deadline", (3, 7, 0)),
    "lmtp_per_record_deadline": ("lmtp_per_request_deadline", (3, 7, 0)),
}


@lru_cache(maxsize=1024)
def certain_correction(name: str) -> str | None:
    """The built-in name a misspelt ``name`` certainly means, or None.

    Certain: the "did you mean" suggestion is the only built-in name at the smallest
    edit distance, that distance is at most two (a slip of one or two keys) and every
    other name is further away. ``smtpd_tls_securty_level`` gives
    ``smtpd_tls_security_level`` (one edit; ``smtp_tls_security_level`` needs two);
    ``smtpd_tls_dane_insecure_mx_policy`` gives nothing: ``smtp_tls_dane_insecure_mx_policy``
    is one edit away, but it configures another program.
    """
    suggestion = params.suggest(name)
    if suggestion is None:
        return None
    lowered = name.lower()
    if lowered == suggestion:
        return suggestion  # the case only: Postfix's names are lower case
    if lowered.partition("_")[0] != suggestion.partition("_")[0]:
        # smtpd_ for smtp_, lmtp_ for smtp_: another program, not a slip of the keys
        return None
    best = _distance(lowered, suggestion, 2)
    if best > 2:
        return None
    for other in params.BUILTIN_DEFAULTS:
        # a name as close as the suggestion makes it a choice, not a correction
        if other != suggestion and _distance(lowered, other, best) <= best:
            return None
    return suggestion


def _distance(a: str, b: str, bound: int) -> int:
    """Optimal string alignment distance (insert, delete, substitute, swap two adjacent
    characters) of ``a`` and ``b``; any value above ``bound`` is returned as bound + 1."""
    if abs(len(a) - len(b)) > bound:
        return bound + 1
    before: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if (
                before is not None
                and i > 1
                and j > 1
                and a[i - 1] == b[j - 2]
                and a[i - 2] == b[j - 1]
            ):
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > bound:
            return bound + 1
        before, previous = previous, current
    return min(previous[-1], bound + 1)


def attach_edits(
    model: PostfixModel, diagnostics: list[Diagnostic], main: SourceFile | None
) -> None:
    """Put an edit on each main.cf diagnostic that has a mechanical fix."""
    if main is None or model.main is None:
        return
    lines = main.lines
    referenced = _referenced_names(model)
    renames: list[tuple[Diagnostic, str]] = []
    for d in diagnostics:
        if d.span.path != main.path:
            continue
        name = d.data.get("parameter")
        if not isinstance(name, str):
            continue
        if d.kind == "unused-parameter" and d.data.get("file") == "main.cf":
            target = certain_correction(name)
            if target is not None:
                renames.append((d, target))
        elif d.kind == "deprecated-parameter" and d.data.get("where") == "main.cf":
            successor = RENAMED.get(name)
            assignment = model.explicit.get(name)
            if (
                successor is not None
                and model.version >= successor[1]
                and assignment is not None
                # "${old?{$old}:{default}}" reads an empty old as unset
                and assignment.value.strip()
                and name not in referenced  # "$old" elsewhere would lose its value
                # a master.cf "-o old=..." feeds the successor's default in its service
                and not any(name in s.overrides for s in model.services)
            ):
                renames.append((d, successor[0]))
        elif d.kind == "duplicate-entry" and d.data.get("same_value"):
            start, end = int(d.data["earlier_line"]), int(d.data["earlier_end_line"])
            d.data["edit"] = _delete(d.span.path, start, end, lines).to_fact()
    # a rename must not create a second setting of a name: which one wins would then
    # depend on the order of lines, a judgement call
    targets = [t for _, t in renames]
    for d, target in renames:
        if target in model.explicit or targets.count(target) > 1:
            continue
        rename = _rename(d.span, str(d.data["parameter"]), target, lines)
        if rename is not None:
            d.data["edit"] = rename.to_fact()


def _referenced_names(model: PostfixModel) -> set[str]:
    values = [a.value for a in model.explicit.values()]
    for s in model.services + model.replaced_services:
        values.extend(o.value for o in s.overrides.values())
    names: set[str] = set()
    for value in values:
        names.update(references(value))
    return names


def _rename(span: Span, old: str, new: str, lines: list[str]) -> Edit | None:
    """Replace the name at ``span`` (a name on the first line of its setting)."""
    index = span.line - 1
    if index >= len(lines):
        return None
    line = lines[index]
    start = span.column - 1
    if line[start : start + len(old)] != old:
        return None  # not where the parser said: leave it alone
    fixed = line[:start] + new + line[start + len(old) :]
    return Edit(span.path, span.line, span.line, (line,), (fixed,))


def _delete(path: str, start: int, end: int, lines: list[str]) -> Edit:
    """Delete the lines of a setting; comment and blank lines among its continuation
    lines (Postfix skips them) stay."""
    original = tuple(lines[start - 1 : end])
    kept = tuple(line for line in original[1:] if _skipped_by_postfix(line))
    return Edit(path, start, end, original, kept)


def _skipped_by_postfix(line: str) -> bool:
    """A blank or comment line (readllines() skips them, even inside a value)."""
    stripped = line.lstrip(" \t\f\v\r")
    return not stripped or stripped.startswith("#")
