"""The records of processing as a PDF the organisation can file with its own record."""

from fpdf.enums import XPos, YPos

from konsent.reports.latin1 import latin1
from konsent.reports.pdf import heading, opened, paragraph
from konsent.reports.words import moment
from konsent.services.processing_record import ProcessingRecord

_GREY = (102, 102, 102)


def render(record: ProcessingRecord) -> bytes:
    w = record.words
    pdf = opened(f"{w['footer']} - {record.organisation}", f"{record.title} - {record.organisation}",
                 record.generated_at)
    pdf.set_font("helvetica", "B", 15)
    pdf.multi_cell(0, 8, latin1(record.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    paragraph(pdf, record.intro, size=9)
    paragraph(pdf, f"{w['generated_at']}: {moment(record.generated_at.isoformat(), record.lang)}", size=8,
              colour=_GREY)
    for part in record.parts:
        heading(pdf, part.title)
        if part.facts:
            pdf.set_font("helvetica", size=9)
            with pdf.table(col_widths=(55, 123), width=178, align="LEFT", text_align="LEFT",
                           first_row_as_headings=False, line_height=4.5, padding=1) as table:
                for label, text in part.facts:
                    row = table.row()
                    row.cell(latin1(label))
                    row.cell(latin1(text))
            pdf.ln(1)
        for item in part.items:
            bullet = not item.endswith(":")
            paragraph(pdf, f"- {item}" if bullet else item, size=9)
    return bytes(pdf.output())
