"""The answer pack as a PDF for the authority: the questions in order, each answered in prose and in
tables. Figures are printed as the pack holds them; nothing is counted here."""

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import FontFace

from konsent.reports.latin1 import latin1
from konsent.reports.pdf import heading, opened, paragraph
from konsent.reports.words import moment
from konsent.services.answer_pack import COUNT, DATE, NUMBER, PERCENT, TEXT, AnswerPack, Table, Value

_GREY = (102, 102, 102)
_WIDTH = 178.0  # A4 less the margins, in mm
_LABEL = 64.0


def render(pack: AnswerPack) -> bytes:
    w = pack.words
    pdf = opened(f"{w['footer']} - {pack.organisation['name']}", f"{pack.title} - {pack.organisation['name']}",
                 pack.generated_at)
    pdf.set_font("helvetica", "B", 15)
    pdf.multi_cell(0, 8, latin1(pack.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    organisation = pack.organisation
    _facts(pdf, [
        (w["organisation"], ", ".join(filter(None, [organisation["name"], organisation["sender_address"]]))),
        (w["jurisdiction"], organisation["jurisdiction"] or "-"),
        (w["generated_at"], moment(pack.generated_at.isoformat(), pack.lang)),
    ])
    paragraph(pdf, pack.intro, size=9)
    for section in pack.sections:
        heading(pdf, section.title)
        pdf.set_font("helvetica", "I", 10)
        pdf.multi_cell(0, 5, latin1(f"{w['question']}: {section.question}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
        for prose in section.paragraphs:
            paragraph(pdf, prose, size=9)
            pdf.ln(1)
        for table in section.tables:
            _table(pdf, table, pack.lang, w["none"])
    heading(pdf, w["appendix"])
    if not pack.texts:
        paragraph(pdf, w["no_texts"], size=9, colour=_GREY)
    for text in pack.texts:
        pdf.set_font("helvetica", "B", 10)
        pdf.multi_cell(0, 5, latin1(f"{text.title} - {text.key}, {w['version']} {text.version} ({text.locale})"),
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        paragraph(pdf, text.body, size=9, border=True)
        paragraph(pdf, f"SHA-256: {text.sha256}", size=7, mono=True)
        pdf.ln(2)
    return bytes(pdf.output())


def shown(value: Value, kind: str, lang: str) -> str:
    """A figure as printed: German or English decimals and dates; "-" for none."""
    if value is None:
        return "-"
    if kind == DATE and isinstance(value, str):
        year, month, day = value.split("-")
        return f"{day}.{month}.{year}" if lang == "de" else value
    if kind in (PERCENT, NUMBER) and isinstance(value, float):
        number = f"{value:.1f}"
        number = number.replace(".", ",") if lang == "de" else number
        return f"{number} %" if kind == PERCENT else number
    return str(value)


def _facts(pdf: FPDF, rows: list[tuple[str, str]]) -> None:
    pdf.set_font("helvetica", size=9)
    with pdf.table(col_widths=(45, _WIDTH - 45), width=_WIDTH, align="LEFT", text_align="LEFT",
                   first_row_as_headings=False, line_height=4.5, padding=1) as table:
        for label, value in rows:
            row = table.row()
            row.cell(latin1(label))
            row.cell(latin1(value))
    pdf.ln(2)


def _table(pdf: FPDF, table: Table, lang: str, none: str) -> None:
    if pdf.get_y() > pdf.h - pdf.b_margin - 25:  # a table's title alone at the foot of a page helps no one
        pdf.add_page()
    pdf.set_font("helvetica", "B", 9)
    pdf.multi_cell(0, 5, latin1(table.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if not table.rows:
        paragraph(pdf, none, size=8, colour=_GREY)
        pdf.ln(1)
        return
    count = len(table.columns)
    # Numbers take what they need; the labels get the rest, so that each row stays one line.
    rest = min(26.0, (_WIDTH - _LABEL) / count) if any(c.kind != TEXT for c in table.columns) else 98.0 / count
    label = _WIDTH - rest * count
    numeric = [c.kind in (COUNT, PERCENT, NUMBER) for c in table.columns]
    pdf.set_font("helvetica", size=8)
    with pdf.table(
        col_widths=(label, *([rest] * len(table.columns))), width=_WIDTH, align="LEFT",
        text_align=(Align.L, *(Align.R if n else Align.L for n in numeric)), first_row_as_headings=True,
        headings_style=FontFace(emphasis="BOLD", fill_color=(240, 240, 240)), line_height=4, padding=1,
    ) as drawn:
        head = drawn.row()
        for title in (table.label, *(c.title for c in table.columns)):
            head.cell(latin1(title))
        for row in table.rows:
            cells = drawn.row()
            cells.cell(latin1(row.label))
            for column, value in zip(table.columns, row.values, strict=True):
                cells.cell(latin1(shown(value, column.kind, lang)))
    if table.note:
        paragraph(pdf, table.note, size=7, colour=_GREY)
    pdf.ln(2)
