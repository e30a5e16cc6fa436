"""Text the PDF core fonts can print: they know Latin-1 and nothing else.

German umlauts and ß are in Latin-1 and stay; typographic punctuation gets its plain twin;
anything else loses its accents if it can, or becomes "?" — a proof document must never fail
to print because someone's name has a letter the font lacks.
"""

import unicodedata

_PLAIN = str.maketrans({
    "–": "-", "—": "-", "‒": "-", "−": "-", "‐": "-", "„": '"', "“": '"', "”": '"', "‟": '"',
    "‚": "'", "‘": "'", "’": "'", "‛": "'", "…": "...", "€": "EUR", "•": "*", "·": "*", "→": "->",
    "✓": "v", "✗": "x", "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\t": "    ", "ł": "l", "Ł": "L",
    "đ": "d", "Đ": "D", "œ": "oe", "Œ": "OE", "ı": "i",
})


def latin1(text: str) -> str:
    plain = unicodedata.normalize("NFC", text).translate(_PLAIN)
    try:
        plain.encode("latin-1")
    except UnicodeEncodeError:
        return "".join(_char(ch) for ch in plain)
    return plain


def _char(ch: str) -> str:
    try:
        ch.encode("latin-1")
    except UnicodeEncodeError:
        if unicodedata.category(ch) in {"Cf", "Mn"}:
            return ""  # zero-width joiners, combining marks without a base
        stripped = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        return stripped if stripped and stripped.isascii() else "?"
    return ch
