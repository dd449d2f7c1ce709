"""Constancias de Situación Fiscal (CSF) as PDFs, made on the spot from data, and the PDFs a
stranger might send instead (encrypted, cut short, too long, a bomb, a photo, an invoice).

    spec = CsfSpec(rfc="GODE561231GR8", persona="fisica", nombre="ERNESTO", ...)
    pdf = csf_pdf(spec)                 # or csf_pdf(municipio_label=OLD_MUNICIPIO_LABEL)
    expected_csf(spec)                  # the Csf that parse_csf_text should read back

The layout follows the real CSF's text (../shared/testdata/csf/csf-moral.pdftotext-raw.txt):
two fields to a line, drawn as separate strings the way SAT's PDF has them; no space after
some colons; an empty value running into the next label; `Página [n] de [m]` first in each
page's content stream; the QR on page 1 (segno, drawn as vector squares). Helvetica with
WinAnsi encoding keeps Á É Í Ó Ú Ñ.
"""

from __future__ import annotations

import io
import re
import zlib
from dataclasses import dataclass, replace
from datetime import date

import segno
from reportlab.lib.pagesizes import letter
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from services.csf import Csf, Domicilio, Persona, Regimen

MUNICIPIO_LABEL = "Nombre del Municipio o Demarcación Territorial:"
OLD_MUNICIPIO_LABEL = "Municipio o Delegación:"
SAT_QR = "sat"  # CsfSpec.qr: the URL SAT prints, for the spec's idCIF and RFC
QR_URL = "https://siat.sat.gob.mx/app/qr/faces/pages/mobile/validadorqr.jsf?D1=10&D2=1&D3={}_{}"
_MONTHS = (
    *("ENERO", "FEBRERO", "MARZO", "ABRIL", "MAYO", "JUNIO"),
    *("JULIO", "AGOSTO", "SEPTIEMBRE", "OCTUBRE", "NOVIEMBRE", "DICIEMBRE"),
)


@dataclass(frozen=True)
class CsfSpec:
    """What the CSF says (every field of services.csf.Csf, as plain values), and how it is
    laid out. The defaults are the real persona moral sample's, with an 11-digit idCIF."""

    rfc: str = "DIM8701081LA"
    persona: str = "moral"  # or "fisica"
    denominacion: str = "MI EMPRESA"
    regimen_capital: str = "SOCIEDAD ANONIMA DE CAPITAL VARIABLE"
    curp: str = ""
    nombre: str = ""
    primer_apellido: str = ""
    segundo_apellido: str = ""
    id_cif: str = "12345678901"
    estatus: str = "ACTIVO"
    codigo_postal: str = "72030"
    tipo_vialidad: str = "CALLE"
    nombre_vialidad: str = "CALLE MI CALLE"
    numero_exterior: str = "50"
    numero_interior: str = "12 Y 13"
    colonia: str = "MI COLONIA"
    localidad: str = ""
    municipio: str = "SAN JUAN"
    entidad_federativa: str = "CIUDAD DE MEXICO"
    correo: str = "correo@example.com"
    lada: str = "55"
    numero: str = "12345678"
    regimenes: tuple[tuple[str, str, str | None], ...] = (
        ("Régimen General de Ley Personas Morales", "05/06/2008", None),
    )
    fecha_emision: date = date(2022, 2, 10)
    lugar_emision: str = "BENITO JUAREZ, CIUDAD DE MEXICO"
    # Layout knobs.
    municipio_label: str = MUNICIPIO_LABEL
    page_break_in: str | None = None  # a domicilio field whose value goes on over the page
    qr: str | None = SAT_QR  # the QR's text; None: no QR
    qr_as_image: bool = False  # a PNG of one pixel a module, stretched (else vector squares)

    @property
    def qr_text(self) -> str | None:
        return QR_URL.format(self.id_cif, self.rfc) if self.qr == SAT_QR else self.qr

    @property
    def razon(self) -> str:
        if self.persona == "moral":
            return self.denominacion
        return " ".join(p for p in (self.nombre, self.primer_apellido, self.segundo_apellido) if p)


def _dmy(text: str | None) -> date | None:
    if not text:
        return None
    d, m, y = (int(part) for part in text.split("/"))
    return date(y, m, d)


def expected_csf(spec: CsfSpec) -> Csf:
    """The Csf that parse_csf_text should read from the spec's PDF."""
    moral = spec.persona == "moral"
    digits = re.sub(r"\D", "", spec.lada + spec.numero)
    return Csf(
        rfc=spec.rfc,
        persona=Persona.MORAL if moral else Persona.FISICA,
        denominacion=spec.denominacion if moral else None,
        regimen_capital=(spec.regimen_capital or None) if moral else None,
        curp=None if moral else spec.curp or None,
        nombre=None if moral else spec.nombre or None,
        primer_apellido=None if moral else spec.primer_apellido or None,
        segundo_apellido=None if moral else spec.segundo_apellido or None,
        id_cif=spec.id_cif,
        estatus=spec.estatus or None,
        domicilio=Domicilio(
            codigo_postal=spec.codigo_postal or None,
            tipo_vialidad=spec.tipo_vialidad or None,
            nombre_vialidad=spec.nombre_vialidad or None,
            numero_exterior=spec.numero_exterior or None,
            numero_interior=spec.numero_interior or None,
            colonia=spec.colonia or None,
            localidad=spec.localidad or None,
            municipio=spec.municipio or None,
            entidad_federativa=spec.entidad_federativa or None,
            correo=spec.correo or None,
            telefono=digits if len(digits) == 10 else None,
        ),
        regimenes=tuple(Regimen(n, _dmy(i), _dmy(f)) for n, i, f in spec.regimenes),  # type: ignore[arg-type]
        fecha_emision=spec.fecha_emision,
        lugar_emision=spec.lugar_emision,
    )


# A line is a tuple of segments, each drawn as its own string (at its own x), as SAT draws
# a label and its value beside another field's.
Line = tuple[str, ...]
_BREAK = ("<page>",)  # a page break between two lines


def _field(label: str, value: str, *, space: bool = True) -> str:
    return f"{label}{' ' if space else ''}{value}".rstrip() if value else label


def _identification(spec: CsfSpec) -> list[Line]:
    d = spec.fecha_emision
    lugar = spec.lugar_emision.replace(", ", " , ")
    lines: list[Line] = [
        ("CÉDULA DE IDENTIFICACIÓN FISCAL",),
        (spec.rfc,),
        ("Registro Federal de Contribuyentes",),
        (spec.razon,),
        ("Nombre, denominación o razón",),
        ("social",),
        (f"idCIF: {spec.id_cif}",),
        ("VALIDA TU INFORMACIÓN",),
        ("FISCAL",),
        ("CONSTANCIA DE SITUACIÓN FISCAL",),
        ("Lugar y Fecha de Emisión",),
        (f"{lugar} A {d.day:02d} DE",),
        (f"{_MONTHS[d.month - 1]} DE {d.year}",),
        (spec.rfc,),
        ("Datos de Identificación del Contribuyente:",),
        (_field("RFC:", spec.rfc),),
    ]
    if spec.persona == "moral":
        lines += [
            (_field("Denominación/Razón Social:", spec.denominacion),),
            (_field("Régimen Capital:", spec.regimen_capital),),
        ]
    else:
        lines += [
            (_field("CURP:", spec.curp),),
            (_field("Nombre (s):", spec.nombre),),
            (_field("Primer Apellido:", spec.primer_apellido),),
            (_field("Segundo Apellido:", spec.segundo_apellido),),
        ]
    lines += [
        ("Nombre Comercial:",),
        ("Fecha inicio de operaciones: 28 DE SEPTIEMBRE DE 2005",),
        (_field("Estatus en el padrón:", spec.estatus),),
        ("Fecha de último cambio de estado: 05 DE JUNIO DE 2008",),
    ]
    return lines


def _domicilio(spec: CsfSpec) -> list[Line]:
    """The domicilio block, two fields to a line; `page_break_in` cuts one field's value
    before its last word and puts the page break there."""
    entidad = spec.entidad_federativa
    pairs: list[tuple[tuple[str, str, str, bool], ...]] = [
        (
            ("codigo_postal", "Código Postal:", spec.codigo_postal, False),
            ("tipo_vialidad", "Tipo de Vialidad:", spec.tipo_vialidad, True),
        ),
        (
            ("nombre_vialidad", "Nombre de Vialidad:", spec.nombre_vialidad, True),
            ("numero_exterior", "Número Exterior:", spec.numero_exterior, True),
        ),
        (
            ("numero_interior", "Número Interior:", spec.numero_interior, False),
            ("colonia", "Nombre de la Colonia:", spec.colonia, True),
        ),
        (
            ("localidad", "Nombre de la Localidad:", spec.localidad, True),
            ("municipio", spec.municipio_label, spec.municipio, True),
        ),
        (
            ("entidad_federativa", "Nombre de la Entidad Federativa:", entidad, True),
            ("entre_calle", "Entre Calle:", "AVENIDA MI AVENIDA", True),
        ),
        (
            ("y_calle", "Y Calle:", "CALLE DAKOTA", True),
            ("correo", "Correo Electrónico:", spec.correo, True),
        ),
        (
            ("lada", "Tel. Fijo Lada:", spec.lada, True),
            ("numero", "Número:", spec.numero, True),
        ),
    ]
    lines: list[Line] = [("Datos del domicilio registrado",)]
    for pair in pairs:
        segments: list[str] = []
        for name, label, value, space in pair:
            if name != spec.page_break_in:
                segments.append(_field(label, value, space=space))
                continue
            head, _, tail = value.rpartition(" ")
            if not head:
                head, tail = value, ""
            segments.append(_field(label, head, space=space))
            lines += [tuple(segments), _BREAK]
            segments = [tail] if tail else []
        if segments:
            lines.append(tuple(segments))
    if spec.page_break_in is None:
        lines.append(_BREAK)
    lines += [
        ("Estado del domicilio: LOCALIZADO - Domicilio Localizado",),
        ("Estado del contribuyente en el domicilio: LOCALIZADO -",),
        ("Contribuyente Localizado",),
    ]
    return lines


def _tables(spec: CsfSpec) -> list[Line]:
    lines: list[Line] = [
        ("Actividades Económicas:",),
        ("Orden", "Actividad Económica", "Porcentaje", "Fecha Inicio", "Fecha Fin"),
        ("1", "Comercio al por mayor agua purificada y hielo", "100", "01/03/2011"),
        ("Regímenes:",),
        ("Régimen", "Fecha Inicio", "Fecha Fin"),
    ]
    lines += [(name, inicio, *([fin] if fin else [])) for name, inicio, fin in spec.regimenes]
    lines += [
        ("Obligaciones:",),
        ("Descripción de la Obligación", "Descripción Vencimiento", "Fecha Inicio", "Fecha Fin"),
        ("Pago definitivo mensual de IVA.", "A más tardar el día 17 del mes inmediato"),
        ("posterior al periodo que corresponda.",),
        ("05/06/2008",),
        _BREAK,
        ("Sus datos personales son incorporados y protegidos en los sistemas del SAT.",),
        (
            "Cadena Original Sello: ||2022/02/10|"
            f"{spec.rfc}|CONSTANCIA DE SITUACIÓN FISCAL|200001088888800000031||",
        ),
        ("Sello Digital: U+SXWUH47fVYxf6QgT0i2XPQl8o3xWqfn8SmDnCOSM6vUVhk1vhvsl3YZhHQSXsY",),
    ]
    return lines


def _pages(spec: CsfSpec) -> list[list[Line]]:
    pages: list[list[Line]] = [[]]
    for line in _identification(spec) + _domicilio(spec) + _tables(spec):
        if line == _BREAK:
            pages.append([])
        else:
            pages[-1].append(line)
    return pages


def csf_lines(spec: CsfSpec = CsfSpec()) -> list[list[str]]:
    """Pages of lines, as `pdftotext -raw` would give the spec's PDF (footer first)."""
    pages = _pages(spec)
    return [
        [f"Página [{n}] de [{len(pages)}]"] + [" ".join(line) for line in page]
        for n, page in enumerate(pages, start=1)
    ]


_X = (40, 300, 400, 470, 540)  # where each segment of a line starts (a table's columns)


def _draw_line(canvas: Canvas, line: Line, y: float) -> None:
    """A line's segments, each at its own x; two fields beside each other go at 40 and
    300, a table's row puts its dates in the columns at the right."""
    if len(line) == 2 and all(":" in s for s in line):
        xs: tuple[int, ...] = (40, 300)
    elif len(line) <= 3 and all(re.fullmatch(r"\d\d/\d\d/\d{4}", s) for s in line[1:]):
        xs = (40, 400, 470)
    else:
        xs = _X
    for segment, x in zip(line, xs, strict=False):
        canvas.drawString(x, y, segment)


def _draw_qr(canvas: Canvas, text: str, x: float, y: float, size: float, *, as_image: bool) -> None:
    """The QR as filled squares (vector art), or as a small PNG stretched to size, quiet
    zone included."""
    if as_image:
        png = io.BytesIO()
        segno.make_qr(text, error="m").save(png, kind="png", scale=1, border=4)
        canvas.drawImage(ImageReader(io.BytesIO(png.getvalue())), x, y, size, size)
        return
    matrix = [list(row) for row in segno.make_qr(text, error="m").matrix]
    module = size / (len(matrix) + 8)
    canvas.setFillGray(0)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                canvas.rect(x + (c + 4) * module, y + size - (r + 5) * module, module, module, 0, 1)


def _canvas(buffer: io.BytesIO, **kwargs: object) -> Canvas:
    kwargs.setdefault("pagesize", letter)
    canvas = Canvas(buffer, **kwargs)  # type: ignore[arg-type]
    canvas.setTitle("Constancia de Situación Fiscal")
    return canvas


def csf_pdf(spec: CsfSpec = CsfSpec(), /, *, encrypt: object = None, **changes: object) -> bytes:
    """A CSF as a PDF, whose text read in content-stream order parses back to
    `expected_csf(spec)`; `changes` are CsfSpec fields; `encrypt` a user password or a
    reportlab StandardEncryption."""
    spec = replace(spec, **changes)  # type: ignore[arg-type]
    buffer = io.BytesIO()
    canvas = _canvas(buffer, encrypt=encrypt) if encrypt else _canvas(buffer)
    pages = csf_lines(spec)
    for number, page in enumerate(_pages(spec)):
        canvas.setFont("Helvetica", 7)
        canvas.drawString(480, 20, pages[number][0])  # the footer, first in the stream
        y = 740.0
        for line in page:
            canvas.setFont("Helvetica", 8)
            _draw_line(canvas, line, y)
            y -= 12
        if number == 0 and spec.qr_text:
            _draw_qr(
                canvas, spec.qr_text, 460, 630, 90, as_image=spec.qr_as_image
            )  # 90 pt: about 3.2 cm, as SAT prints it
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def encrypted_pdf() -> bytes:
    """A CSF that opens only with a password."""
    return csf_pdf(encrypt="secreto")


def truncated_pdf() -> bytes:
    """A CSF cut in half, as an interrupted download leaves it."""
    data = csf_pdf()
    return data[: len(data) // 2]


def pages_pdf(n: int) -> bytes:
    """A PDF of n pages, each with a line of text."""
    buffer = io.BytesIO()
    canvas = _canvas(buffer)
    for number in range(1, n + 1):
        canvas.drawString(40, 740, f"Página {number} de {n}")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def other_pdf(
    text: str = "COTIZACIÓN 1234\nServicio de facturación\nTotal: $1,160.00",
    page_size: tuple[float, float] = letter,
) -> bytes:
    """A PDF with text, but no CSF (a quote, an invoice), on pages of `page_size` points."""
    buffer = io.BytesIO()
    canvas = _canvas(buffer, pagesize=page_size)
    for index, line in enumerate(text.splitlines()):
        canvas.drawString(40, page_size[1] - 52 - 14 * index, line)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def raw_text_pdf(*pages: list[bytes]) -> bytes:
    """A PDF written by hand, each page its lines drawn as they are (tabs, runs of blanks,
    any length), where reportlab would tidy or refuse them: a stranger's PDF."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # the page tree, once the pages are numbered
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    kids = []
    for lines in pages:
        escaped = (
            line.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
            for line in lines
        )
        content = (
            b"BT /F1 8 Tf 40 740 Td 12 TL " + b" ".join(b"(%s) Tj T*" % e for e in escaped) + b" ET"
        )
        packed = zlib.compress(content, 9)
        kids.append(len(objects) + 1)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (len(objects) + 2)
        )
        objects.append(
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(packed), packed)
        )
    references = b" ".join(b"%d 0 R" % kid for kid in kids)
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (references, len(kids))
    out = io.BytesIO(b"%PDF-1.4\n")
    out.seek(0, io.SEEK_END)
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def photo_pdf() -> bytes:
    """A CSF as a JPEG (a scan, a photo) inside a PDF: pages with no text."""
    import pypdfium2  # only here: the image is the first page rendered

    document = pypdfium2.PdfDocument(csf_pdf())
    try:
        image = document[0].render(scale=1).to_pil().convert("L")
    finally:
        document.close()
    jpeg = io.BytesIO()
    image.save(jpeg, format="JPEG", quality=70)
    buffer = io.BytesIO()
    canvas = _canvas(buffer)
    canvas.drawImage(ImageReader(io.BytesIO(jpeg.getvalue())), 0, 0, *letter)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _deflate_repeated(megabytes: int, filler: bytes) -> bytes:
    """A zlib stream of `megabytes` MiB of `filler` over and over, made from one compressed
    MiB repeated: a full flush makes each copy independent of what came before, so the
    stream is valid without compressing gigabytes here."""
    assert (1 << 20) % len(filler) == 0, "the filler must fit a MiB exactly"
    mebibyte = filler * ((1 << 20) // len(filler))
    compressor = zlib.compressobj(9)
    first = compressor.compress(mebibyte) + compressor.flush(zlib.Z_FULL_FLUSH)
    header, block = first[:2], first[2:]
    end = zlib.compressobj(9)
    final = (end.compress(b"") + end.flush())[2:-4]  # an empty final block alone
    checksum = 1
    for _ in range(megabytes):
        checksum = zlib.adler32(mebibyte, checksum)
    return header + block * megabytes + final + checksum.to_bytes(4, "big")


def bomb_pdf(megabytes: int = 2048, filler: bytes = b"\0") -> bytes:
    """A one-page PDF whose content stream inflates to `megabytes` MiB of `filler` (about
    one KiB of file per MiB inflated): zeros take memory; operators such as b"q Q\n" (save
    and restore the graphics state) take time as well."""
    stream = _deflate_repeated(megabytes, filler)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    size = len(objects) + 1
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref))
    return out.getvalue()
