"""References to the API contract (docs/glare-v1-contract.md) lead somewhere.

Code, tests and plugin READMEs cite the contract by section (``§7.9``, ``§29.1``), by quirk row
of §30 (``Q28``) and by edge case of §31 (``§31 #126``). Each citation must name a section
heading, a Q row or a §31 item that exists in the contract, so a reader can look it up.
Section signs that belong to another document (``RFC 9110 §13.1.2``, ``issue 18 §1``) are not
the contract's and are skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONTRACT = REPO / "docs" / "glare-v1-contract.md"
SCANNED = ("glare_core", "glare_plugins", "tests", "benchmarks")
SUFFIXES = {".py", ".md"}
SKIPPED_DIRS = {"build", "dist", ".venv", "__pycache__"}

SECTION = re.compile(r"§(\d+(?:\.\d+)?)")
# A section sign right after another document's name and number is that document's.
FOREIGN = re.compile(r"(?:RFC|issue|PEP) \d+ $")
QUIRK = re.compile(r"\bQ(\d+)\b")
# "§31 #23-#29, #71", "§31 items 126-130, 134", "§31 #78 and §11.2"
EDGE_CASES = re.compile(r"§31((?:(?:,\s*|\s+and\s+|\s+)(?:items?\s+)?#?\d+(?:-#?\d+)?)+)")


def contract_targets(text: str) -> tuple[set[str], set[str], set[int]]:
    """Section numbers, Q rows and §31 item numbers the contract defines."""
    sections = set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", text, flags=re.MULTILINE))
    quirks = set(re.findall(r"^\| Q(\d+) \|", text, flags=re.MULTILINE))
    edge_part = text.split("\n## 31. ", 1)[1]
    items = {int(n) for n in re.findall(r"^(\d+)\. ", edge_part, flags=re.MULTILINE)}
    return sections, quirks, items


def unresolved(line: str, sections: set[str], quirks: set[str], items: set[int]) -> list[str]:
    """The contract references of one line that name nothing in the contract."""
    bad = []
    for match in SECTION.finditer(line):
        if FOREIGN.search(line[:match.start()]):
            continue
        if match.group(1) not in sections:
            bad.append(f"§{match.group(1)}")
    bad += [f"Q{n}" for n in QUIRK.findall(line) if n not in quirks]
    for match in EDGE_CASES.finditer(line):
        for low, high in re.findall(r"(\d+)(?:-#?(\d+))?", match.group(1)):
            numbers = range(int(low), int(high or low) + 1)
            bad += [f"§31 #{n}" for n in numbers if n not in items]
    return bad


def scanned_files() -> list[Path]:
    files = []
    for top in SCANNED:
        for path in sorted((REPO / top).rglob("*")):
            relative = path.relative_to(REPO)
            if (path.suffix in SUFFIXES and path.is_file() and path != Path(__file__)
                    and not SKIPPED_DIRS & set(relative.parts)
                    and not any(part.endswith(".egg-info") for part in relative.parts)):
                files.append(path)
    return files


def test_the_contract_defines_what_is_cited():
    sections, quirks, items = contract_targets(CONTRACT.read_text())
    assert {"2", "7.9", "29.6", "31"} <= sections
    assert {"1", "35"} <= quirks
    assert {0, 157} <= items


def test_reference_parsing():
    sections, quirks, items = {"2", "7.9", "31"}, {"3"}, {0, 1, 2}
    assert unresolved("contract §7.9 and §2 (Q3)", sections, quirks, items) == []
    assert unresolved("RFC 9110 §13.1.2, issue 18 §1", sections, quirks, items) == []
    assert unresolved("§7.10, Q4", sections, quirks, items) == ["§7.10", "Q4"]
    assert unresolved("§31 #0-#2 and §2", sections, quirks, items) == []
    assert unresolved("§31 #1, #3", sections, quirks, items) == ["§31 #3"]
    assert unresolved("§31 items 1-3", sections, quirks, items) == ["§31 #3"]


def test_every_contract_reference_resolves():
    sections, quirks, items = contract_targets(CONTRACT.read_text())
    broken = []
    for path in scanned_files():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for ref in unresolved(line, sections, quirks, items):
                broken.append(f"{path.relative_to(REPO)}:{number}: {ref}")
    assert broken == []
