"""The frame every email's HTML part sits in: the operator's name as a header, the words of
the email, what to do if it was not you, and a footer (support, the aviso de privacidad).

Built for what mail apps render: one centred column up to 600 px made of tables (Outlook's
Word engine ignores `max-width`, so a fixed 600 px table wraps it there only), every style
inline, system fonts, and nothing fetched from the network: no images, fonts or
stylesheets, which most apps block until the reader allows them."""

from __future__ import annotations

from html import escape

from mail.markup import ACCENT

TEXT = "font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:24px;color:#1f2933;"
PAGE = "#f2f4f7"


def document(*, language: str, title: str, header: str, body: str, note: str, footer: str) -> str:
    """The whole HTML part. `title` and `header` are plain text; the rest is HTML."""
    return f"""<!DOCTYPE html>
<html lang="{escape(language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="x-apple-disable-message-reformatting">
<meta name="color-scheme" content="light">
<title>{escape(title, quote=False)}</title>
</head>
<body style="margin:0;padding:0;background-color:{PAGE};">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" \
bgcolor="{PAGE}" style="background-color:{PAGE};">
<tr><td align="center" style="padding:24px 12px;">
<!--[if mso]><table role="presentation" width="600" cellpadding="0" cellspacing="0" \
border="0"><tr><td><![endif]-->
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" \
style="max-width:600px;width:100%;background-color:#ffffff;border-radius:8px;">
<tr><td bgcolor="{ACCENT}" style="background-color:{ACCENT};border-radius:8px 8px 0 0;\
padding:20px 24px;font-family:Arial,Helvetica,sans-serif;font-size:20px;line-height:26px;\
font-weight:bold;color:#ffffff;">{escape(header, quote=False)}</td></tr>
<tr><td style="padding:24px 24px 8px;{TEXT}">{body}</td></tr>
<tr><td style="padding:0 24px 16px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">
<tr><td style="border-left:4px solid #f0b429;background-color:#fff8e6;padding:12px 16px 0;\
{TEXT}">{note}</td></tr>
</table>
</td></tr>
<tr><td style="border-top:1px solid #e4e7eb;padding:16px 24px 8px;\
font-family:Arial,Helvetica,sans-serif;font-size:13px;line-height:20px;color:#52606d;">\
{footer}</td></tr>
</table>
<!--[if mso]></td></tr></table><![endif]-->
</td></tr>
</table>
</body>
</html>
"""
