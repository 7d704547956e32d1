"""The probe's reading of a server certificate, with certificates openssl makes.

A DSA key is judged like any other (PRB011 reports one that is too short), and
cryptography's "DSA is deprecated" warning, a note about the library, never reaches the
user's terminal.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from linter.probe.certs import certificate_facts

OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs openssl")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run([OPENSSL or "openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def dsa_certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A self-signed certificate with a 1024-bit DSA key (too short: PRB011)."""
    folder = tmp_path_factory.mktemp("dsa")
    _openssl("dsaparam", "-out", "params.pem", "1024", cwd=folder)
    _openssl("gendsa", "-out", "key.pem", "params.pem", cwd=folder)
    _openssl(
        "req", "-x509", "-new", "-key", "key.pem", "-subj", "/CN=mx.example.test",
        "-days", "2", "-outform", "DER", "-out", "cert.der",
        cwd=folder,
    )  # fmt: skip
    return folder / "cert.der"


def test_dsa_key_is_judged_without_a_warning(dsa_certificate: Path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        facts = certificate_facts(dsa_certificate.read_bytes(), ["mx.example.test"])
    assert [str(w.message) for w in caught] == []
    assert (facts["key_type"], facts["key_bits"], facts["weak_key"]) == ("DSA", 1024, True)
    # verifying its own signature is a DSA operation too: still done, still quiet
    assert facts["self_signed"] is True
    assert facts["names_unmatched"] == []


def test_the_warning_does_not_reach_stderr(dsa_certificate: Path):
    # a fresh interpreter with Python's default warning filters, as the mtalint command has
    code = (
        "import sys; from pathlib import Path; from linter.probe.certs import certificate_facts;"
        "facts = certificate_facts(Path(sys.argv[1]).read_bytes(), []);"
        "print(facts['key_type'], facts['weak_key'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(dsa_certificate)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.stdout.split() == ["DSA", "True"]
    assert done.stderr == ""


def test_the_filter_is_put_back_afterwards(dsa_certificate: Path):
    before = list(warnings.filters)
    certificate_facts(dsa_certificate.read_bytes(), [])
    assert warnings.filters == before
