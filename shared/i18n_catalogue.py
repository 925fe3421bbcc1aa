"""The English catalogue kept in step with the Dutch page texts (`make translations`).

pybabel extracts every text marked with _(), gettext() or ngettext() from the Python and the
templates of services/ and shared/ (map: babel.cfg). New texts are appended to
shared/translations/en/LC_MESSAGES/messages.po with an empty translation, so a translator (or
the test tests/shared/test_translations.py) sees what is missing. Entries that extraction does
not find are kept: many Dutch texts (labels of codes, validation messages) reach _() through a
variable, so extraction cannot see them, and dropping them would turn those pages Dutch again.
The existing file is never rewritten, only appended to: the diff of an update shows just the new
texts, and branches that each add texts merge cleanly.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
MAPPING = ROOT / "babel.cfg"
CATALOGUE = ROOT / "shared" / "translations" / "en" / "LC_MESSAGES" / "messages.po"

# Texts shown through _() that stay the same in English on purpose: names of certificates and of
# Dordrecht's districts (reference data).
SAME_IN_ENGLISH: frozenset[str] = frozenset(
    {"B-VCA (VCA Basis)", "VOL-VCA", "BHV", "Oud-Krispijn", "Nieuw-Krispijn", "Wielwijk", "Crabbehof"}
)

_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}")


def extract() -> Catalog:
    """Every marked text in services/ and shared/, as pybabel extract finds it."""
    with MAPPING.open() as fh:
        method_map, options_map = parse_mapping_cfg(fh, str(MAPPING))
    template = Catalog(locale=None)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, strip_comment_tags=True
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def load() -> Catalog:
    with CATALOGUE.open("rb") as fh:
        return read_po(fh, locale="en")


def _key(message_id: str | tuple[str, ...] | list[str]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def untranslated(template: Catalog, catalogue: Catalog) -> list[str]:
    """Marked texts without an English translation (new, or present with an empty msgstr)."""
    missing = []
    for message in template:
        if not message.id or _key(message.id) in SAME_IN_ENGLISH:
            continue
        entry = catalogue.get(message.id)
        strings = entry.string if entry is not None else None
        complete = all(strings) if isinstance(strings, (tuple, list)) else bool(strings)
        if not complete:
            missing.append(_key(message.id))
    return missing


def _texts(value: str | tuple[str, ...] | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def placeholder_mismatches(catalogue: Catalog) -> list[str]:
    """Translations whose %(name)s / {name} placeholders differ from the Dutch text's."""
    wrong = []
    for message in catalogue:
        if not message.id or not message.string:
            continue
        ids = _texts(message.id)
        strings = _texts(message.string)
        wanted = set(_PLACEHOLDER.findall(" ".join(ids)))
        for text in strings:
            if text and set(_PLACEHOLDER.findall(text)) != wanted:
                wrong.append(_key(message.id))
    return wrong


def update() -> list[str]:
    """Append the texts the catalogue does not have yet; return them."""
    template = extract()
    catalogue = load()
    new = Catalog(locale="en")
    for message in template:
        if message.id and message.id not in catalogue:
            new.add(message.id, "", flags=message.flags, context=message.context)
    if len(new):
        buf = io.BytesIO()
        write_po(buf, new, omit_header=True, no_location=True, width=100)
        with CATALOGUE.open("ab") as fh:
            fh.write(b"\n" + buf.getvalue().strip(b"\n") + b"\n")
    return [_key(m.id) for m in new if m.id]


def main() -> int:
    added = update()
    for text in added:
        print(f"new: {text}")
    missing = untranslated(extract(), load())
    where = CATALOGUE.relative_to(ROOT)
    print(f"{len(added)} new texts; {len(missing)} without an English translation in {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
