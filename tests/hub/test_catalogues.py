"""The compiled catalogues (.mo, committed so that a fresh clone needs no gettext tools) match their .po files."""
import gettext
import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def entries(po: Path):
    """(context, msgid, first msgstr) of every translated, non-fuzzy entry of a .po file."""
    text = po.read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        if "#, fuzzy" in block or block.lstrip().startswith("#~"):
            continue
        fields = {}
        key = None
        for line in block.splitlines():
            match = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[0\])?|msgstr\[\d\]) "(.*)"$', line)
            if match:
                key = match.group(1)
                fields[key] = match.group(2)
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        msgstr = fields.get("msgstr", fields.get("msgstr[0]", ""))
        if fields.get("msgid") and msgstr:
            unescape = lambda s: s.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")  # noqa: E731
            yield fields.get("msgctxt"), unescape(fields["msgid"]), unescape(msgstr), "msgid_plural" in fields


@pytest.mark.parametrize("po", sorted(LOCALE.glob("*/LC_MESSAGES/*.po")), ids=lambda p: str(p.relative_to(LOCALE)))
def test_every_translation_in_the_po_is_in_the_compiled_mo(po):
    catalogue = gettext.GNUTranslations(po.with_suffix(".mo").open("rb"))
    stale = []
    for context, msgid, msgstr, plural in entries(po):
        if plural:
            got = catalogue.npgettext(context, msgid, msgid, 1) if context else catalogue.ngettext(msgid, msgid, 1)
        else:
            got = catalogue.pgettext(context, msgid) if context else catalogue.gettext(msgid)
        if got != msgstr:
            stale.append(msgid)
    assert not stale, f"{len(stale)} entries differ; run msgfmt -o {po.with_suffix('.mo')} {po}: {stale[:5]}"
