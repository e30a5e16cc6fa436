"""Readable renderings of what konsent holds: the Art. 15 export and the proof dossier.

HTML goes through a sandboxed, autoescaping Jinja2 environment (names and consent texts are
other people's input); PDF is drawn with fpdf2's core fonts, which know only Latin-1.
"""
