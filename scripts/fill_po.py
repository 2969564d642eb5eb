"""Fill empty msgstr entries of a .po file from a {msgid: translation} JSON file (keeps existing ones).

Usage: python scripts/fill_po.py locale/fr/LC_MESSAGES/django.po translations.json
"""

import json
import re
import sys
from pathlib import Path


def _unquote(lines: list[str]) -> str:
    return "".join(json.loads(line) for line in lines)


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def fill(po_path: Path, translations: dict[str, str]) -> int:
    blocks = po_path.read_text(encoding="utf-8").split("\n\n")
    filled = 0
    for i, block in enumerate(blocks):
        match = re.search(r'^msgid ((?:".*"\n?)+)msgstr ((?:".*"\n?)+)', block, re.M)
        if not match or "msgid_plural" in block:
            continue
        msgid = _unquote(re.findall(r'".*"', match[1]))
        msgstr = _unquote(re.findall(r'".*"', match[2]))
        if msgid and not msgstr and msgid in translations:
            new = block[: match.start(2)] + _quote(translations[msgid]) + block[match.end(2) :].lstrip("\n")
            blocks[i] = new.replace("#, fuzzy\n", "")
            filled += 1
    po_path.write_text("\n\n".join(blocks), encoding="utf-8")
    return filled


if __name__ == "__main__":
    po, table = Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
    print(f"{fill(po, table)} entries filled in {po}")
