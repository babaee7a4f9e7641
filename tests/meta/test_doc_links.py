"""Links in the project's Markdown files lead somewhere: to a file that exists and, for
``#anchor`` links, to a heading of that file (GitHub's slugs)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE_BLOCK = re.compile(r"```.*?```", flags=re.DOTALL)


def markdown_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "*.md"], cwd=REPO, capture_output=True,
                            text=True, check=True).stdout.split()
    return [REPO / name for name in listed]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = CODE_BLOCK.sub("", path.read_text())
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", text, flags=re.MULTILINE)}


def test_slugs_follow_github():
    assert slug("12. Guarantees worth knowing") == "12-guarantees-worth-knowing"
    assert slug("Where Glare adds to the v1 API") == "where-glare-adds-to-the-v1-api"
    assert slug("`glare-manage` commands") == "glare-manage-commands"


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_links_resolve(path: Path):
    broken = []
    for target in LINK.findall(CODE_BLOCK.sub("", path.read_text())):
        if re.match(r"[a-z]+:", target):  # http(s), mailto: not checked offline
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        missing_anchor = bool(anchor) and linked.suffix == ".md" and (
            not linked.exists() or anchor not in anchors(linked))
        if not linked.exists() or missing_anchor:
            broken.append(target)
    assert broken == []
