"""Display names compared the way a reader sees them (the browser does the same).

``fold_name`` is the rule of ``sameName`` in ``web/static/js/app/fingerprints.js``;
both are tested against the cases of ``tests/cli/look_alike_names.json``:
compatibility decomposition (NFKD), combining marks, format characters and blank
letters dropped, Cyrillic and Greek letters that look Latin mapped to the Latin
letter, lower case, runs of spaces and controls as one space, none at the ends.
"""

from __future__ import annotations

import unicodedata

# Cyrillic and Greek letters a reader takes for Latin ones (upper and lower case).
CONFUSABLES = {
    # Cyrillic capitals, then small letters
    **dict(
        zip(
            "\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0423\u0405\u0406\u0408\u051a\u051c\u04c0",
            "ABEKMHOPCTXYSIJQWI",
            strict=True,
        )
    ),
    **dict(
        zip(
            "\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0455\u0456\u0458\u0501\u04bb\u051b\u051d\u04cf",
            "aeopcyxsijdhqwl",
            strict=True,
        )
    ),
    # Greek capitals, then small letters
    **dict(
        zip(
            "\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7",
            "ABEZHIKMNOPTYX",
            strict=True,
        )
    ),
    **dict(zip("\u03b1\u03b9\u03ba\u03bd\u03bf\u03c1\u03c5\u03c7", "aikvopux", strict=True)),
    # Latin small dotless i
    "\u0131": "i",
}
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
SPACES = frozenset({"Zs", "Zl", "Zp", "Cc"})


def visible_name(name: str) -> str:
    """``name`` as it shows: format characters and blank letters dropped, runs of spaces
    and controls as one space, none at the ends (what the pin file keeps)."""
    out: list[str] = []
    for ch in name:
        category = unicodedata.category(ch)
        if category == "Cf" or ch in BLANK_LETTERS:
            continue
        if category in SPACES:
            if out and out[-1] != " ":
                out.append(" ")
            continue
        out.append(ch)
    return "".join(out).strip(" ")


def fold_name(name: str) -> str:
    """The form two display names share when a reader would take one for the other."""
    decomposed = unicodedata.normalize("NFKD", name)
    unmarked = "".join(ch for ch in decomposed if not unicodedata.category(ch).startswith("M"))
    out: list[str] = []
    for ch in visible_name(unmarked):
        lower = CONFUSABLES.get(ch, ch).lower()
        out.append(CONFUSABLES.get(lower, lower))
    return "".join(out)


def same_name(a: str, b: str) -> bool:
    """Whether a reader would take ``a`` for ``b`` (never for empty names)."""
    folded = fold_name(a)
    return folded != "" and folded == fold_name(b)
