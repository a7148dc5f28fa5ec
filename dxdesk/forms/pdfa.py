"""PDF/A-2b for archived copies of filled forms (``dxdesk form fill --pdfa``).

A form drawn by :func:`dxdesk.forms.pdfcanvas.new_canvas` already meets the font rules (every
font embedded as a subset, a ToUnicode map that extracts non-BMP kanji as themselves, no
transparency, no encryption). What PDF/A-2b adds is identification and colour: an XMP metadata
stream on the catalogue that says ``pdfaid:part=2, conformance=B`` and agrees with the Info
dictionary, and an sRGB output intent (the forms are drawn in DeviceGray/DeviceRGB, which
PDF/A allows only under an output intent). The sRGB profile is made by Pillow's LittleCMS
binding (Pillow comes with ReportLab), so Windows and Debian write the same bytes.
"""
from __future__ import annotations

import io
from datetime import datetime, timezone
from functools import lru_cache
from xml.sax.saxutils import escape

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (ArrayObject, DecodedStreamObject, DictionaryObject, NameObject, NumberObject,
                           TextStringObject)

PRODUCER = "dxdesk"
SRGB_CONDITION = "sRGB IEC61966-2.1"


@lru_cache(maxsize=1)
def srgb_profile() -> bytes:
    from PIL import ImageCms

    return bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())


def _xmp(title: str, created: datetime) -> bytes:
    stamp = created.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    t = escape(title)
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
    xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdfaid:part>2</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{t}</rdf:li></rdf:Alt></dc:title>
   <xmp:CreateDate>{stamp}</xmp:CreateDate>
   <xmp:ModifyDate>{stamp}</xmp:ModifyDate>
   <xmp:CreatorTool>{PRODUCER}</xmp:CreatorTool>
   <pdf:Producer>{PRODUCER}</pdf:Producer>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode("utf-8")


def _stream(writer: PdfWriter, data: bytes, **entries: object) -> object:
    s = DecodedStreamObject()
    s.set_data(data)
    for k, v in entries.items():
        s[NameObject("/" + k)] = v
    return writer._add_object(s)


def to_pdfa(pdf: bytes, title: str, created: datetime | None = None) -> bytes:
    """The same pages as PDF/A-2b: XMP identification, matching Info, sRGB output intent."""
    created = created or datetime.now(timezone.utc)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    pdf_date = created.astimezone(timezone.utc).strftime("D:%Y%m%d%H%M%S+00'00'")
    # Info and XMP must agree (PDF/A-2 6.6.2.3): write both from the same values.
    writer.metadata = None
    writer.add_metadata({"/Title": title, "/Creator": PRODUCER, "/Producer": PRODUCER,
                         "/CreationDate": pdf_date, "/ModDate": pdf_date})
    root = writer._root_object
    root[NameObject("/Metadata")] = _stream(writer, _xmp(title, created), Type=NameObject("/Metadata"),
                                            Subtype=NameObject("/XML"))
    intent = DictionaryObject({
        NameObject("/Type"): NameObject("/OutputIntent"),
        NameObject("/S"): NameObject("/GTS_PDFA1"),
        NameObject("/OutputConditionIdentifier"): TextStringObject(SRGB_CONDITION),
        NameObject("/Info"): TextStringObject(SRGB_CONDITION),
        NameObject("/DestOutputProfile"): _stream(writer, srgb_profile(), N=NumberObject(3)),
    })
    root[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(intent)])
    root[NameObject("/Lang")] = TextStringObject("ja")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
