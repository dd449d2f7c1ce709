"""Configura tus datos de la empresa (/empresa): the issuer's fiscal data for CFDI 4.0.
flow.py wires the conversation, form.py holds its steps and its draft, fields.py its
fields' questions and receivers; the diagram is company.mmd."""

from handlers.company.flow import build_company_conversation

__all__ = ["build_company_conversation"]
