"""Writes strict_ooxml.docx: a document written by python-docx, then saved the way Word's
"Strict Open XML Document" writes its package: every Transitional namespace and
relationship type (``http://schemas.openxmlformats.org/<area>/2006/<name>``) in the
Strict spelling (``http://purl.oclc.org/ooxml/<area>/<name>``, ISO/IEC 29500-1 Strict,
annex A), and ``w:conformance="strict"`` on the document element."""

import io
import re
import zipfile

import docx

document = docx.Document()
document.core_properties.title = "Strict notes"
document.core_properties.author = "Ada Lovelace"
document.add_heading("Engine trials", level=1)
document.add_paragraph("The second trial of the analytical engine ran until midnight.")
table = document.add_table(rows=1, cols=2)
table.rows[0].cells[0].text = "Trial"
table.rows[0].cells[1].text = "Result"
buffer = io.BytesIO()
document.save(buffer)

RENAMES = {b"extended-properties": b"extendedProperties", b"custom-properties": b"customProperties"}
TRANSITIONAL = re.compile(rb"http://schemas\.openxmlformats\.org/(\w+)/2006/([\w-]+)")


def strict(match: re.Match[bytes]) -> bytes:
    area, name = match.group(1), match.group(2)
    if area == b"package":  # OPC namespaces are the same in Strict
        return match.group(0)
    return b"http://purl.oclc.org/ooxml/" + area + b"/" + RENAMES.get(name, name)


out = io.BytesIO()
with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
    for info in source.infolist():
        data = source.read(info)
        if info.filename.endswith((".xml", ".rels")):
            data = TRANSITIONAL.sub(strict, data)
            if info.filename == "word/document.xml":
                data = data.replace(b"<w:document ", b'<w:document w:conformance="strict" ', 1)
        copy.writestr(info.filename, data)
with open("strict_ooxml.docx", "wb") as handle:
    handle.write(out.getvalue())
