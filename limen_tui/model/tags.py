"""The operator's tags on a VM: what a tag may be, and an edit typed as `web +db -old`.

Pure: no libvirt. Tags live in the domain's metadata under limen-tui's own namespace
(virt/tags.py), so other tools' metadata is left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,31}")
MAX_TAGS = 16


@dataclass(frozen=True, slots=True)
class SetTags:
    """`replace` (when not None) becomes the tags; then `add` are added, `remove` removed.
    Typed once for the marked VMs: `+web` adds web to each, keeping each one's other tags."""

    replace: tuple[str, ...] | None = None
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()

    def applied_to(self, tags: tuple[str, ...]) -> tuple[str, ...]:
        base = list(tags if self.replace is None else self.replace)
        base += [t for t in self.add if t not in base]
        return tuple(t for t in base if t not in self.remove)

    @property
    def words(self) -> str:
        """The edit as it was typed (confirmations, the operations pane)."""
        out = list(self.replace or ())
        out += [f"+{t}" for t in self.add] + [f"-{t}" for t in self.remove]
        return " ".join(out) if out or self.replace is None else "(no tags)"


def parse_tags(text: str) -> tuple[SetTags | None, str]:
    """`web db` sets the tags; `+web -old` edits them; `-` alone clears them; or why not."""
    words = text.split()
    if words == ["-"]:
        return SetTags(replace=()), ""
    plain: list[str] = []
    add: list[str] = []
    remove: list[str] = []
    for word in words:
        sign, tag = (word[0], word[1:]) if word[0] in "+-" else ("", word)
        if not TAG.fullmatch(tag):
            return None, (
                f"bad tag {tag!r}: letters, digits and . _ : - (32 at most, "
                "starting with a letter or digit)"
            )
        (add if sign == "+" else remove if sign == "-" else plain).append(tag)
    if plain and (add or remove):
        return None, "either name the tags (web db) or edit them (+web -old), not both"
    if len(set(plain)) > MAX_TAGS or len(set(add)) > MAX_TAGS:
        return None, f"{MAX_TAGS} tags at most"
    if not words:
        return None, "type the tags (web db), an edit (+web -old), or - to clear them"
    if plain:
        return SetTags(replace=tuple(dict.fromkeys(plain))), ""
    return SetTags(add=tuple(dict.fromkeys(add)), remove=tuple(dict.fromkeys(remove))), ""
