"""Small real documents for the retrieval tests: a PDF written by hand (text on each page,
a title in its info dictionary), HTML, Markdown and CSV."""

from __future__ import annotations


def make_pdf(pages: list[str], title: str | None = None) -> bytes:
    """A valid PDF 1.4 with one line of Helvetica text per page."""
    objects: list[bytes] = []
    count = len(pages)
    # 1: catalog, 2: pages, 3: font, then (page, content) pairs, then info.
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(count))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, text in enumerate(pages):
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(
            b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream"
        )
    info_ref = b""
    if title is not None:
        objects.append(f"<< /Title ({title}) >>".encode("latin-1"))
        info_ref = f" /Info {len(objects)} 0 R".encode()
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R".encode()
        + info_ref
        + f" >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


HTML = b"""<!doctype html>
<html><head><title>Refund policy</title><style>body { color: red }</style>
<script>window.tracking = "do not index";</script></head>
<body>
<nav><a href="/">Home</a> <a href="/shop">Shop</a></nav>
<h1>Refunds</h1>
<p>Ask within <b>30 days</b> via the <a href="/help">help centre</a>.</p>
<h2>Exceptions</h2>
<ul><li>Gift cards</li><li>Opened software</li></ul>
<div role="navigation">Breadcrumbs</div>
<noscript>Enable JavaScript</noscript>
</body></html>
"""

MARKDOWN = """# Handbook

Welcome to the team.

## Holidays

You get 25 days a year.

```
# not a heading, code
```

### Carry-over

Up to 5 days carry over.

# Appendix

Contacts.
"""

CSV = "name;city;plan\nAda;London;pro\nLinus;Helsinki;free\n\nGrace;New York;pro\n"
