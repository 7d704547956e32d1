"""Where things are, for every test: the checkout, the test fixtures and the shared corpus.

Tests name these instead of counting ``parents`` from their own file, so that a test file
can move to another folder under tests/ without its paths changing meaning.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
FIXTURES = TESTS / "fixtures"
# real-world configurations beside the checkout (never copied into it); tests skip without
CORPUS = ROOT.parent / "shared" / "corpus"
