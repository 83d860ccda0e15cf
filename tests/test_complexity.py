"""No function in wapiz/ above cyclomatic complexity 20 (radon): a longer chain of cases
reads better as a table of small functions (as the whatsmeow engine's message builders)."""

from pathlib import Path

from radon.complexity import cc_visit

LIMIT = 20
ROOT = Path(__file__).resolve().parent.parent / "wapiz"


def test_no_function_is_too_complex() -> None:
    too_complex = [
        f"{path.relative_to(ROOT.parent)}:{block.lineno} {block.fullname} ({block.complexity})"
        for path in sorted(ROOT.rglob("*.py"))
        if "migrations" not in path.parts
        for block in cc_visit(path.read_text())
        if block.complexity > LIMIT
    ]
    assert too_complex == []
