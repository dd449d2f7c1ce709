"""El Certificado de Sello Digital (/csd, /certificate): the issuer's .cer, .key and the
key's password, checked the way a PAC checks them. flow.py wires the conversation and
shows the stored CSD, upload.py takes the files, checks.py the password and the result;
steps.py holds the steps and the draft; the diagram is csd.mmd."""

from handlers.csd.flow import build_csd_conversation

__all__ = ["build_csd_conversation"]
