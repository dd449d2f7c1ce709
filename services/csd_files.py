"""The issuer's CSD (Certificado de Sello Digital) as files: what a `.cer` and a `.key`
hold, and the checks a PAC makes before it stamps with them. Pure: no database, no chat.

CSD or e.firma (FIEL)? Both are issued by SAT to the same RFC, with the same subject
layout (CN and O the holder, x500UniqueIdentifier "RFC / RFC del representante",
serialNumber the CURP), and both sign. What differs, as SAT's own test credentials show
(tests/data/sat/eku_csd.cer and eku_fiel.cer):
- key usage: a CSD only seals (digitalSignature + nonRepudiation); an e.firma may also
  encipher (dataEncipherment, keyAgreement);
- extended key usage: an e.firma carries one (emailProtection, clientAuth: it signs in
  to SAT's portal and signs mail); a CSD has none;
- subject: an e.firma names its owner's email address; a CSD names a branch in its OU
  (the "sucursal" chosen when it was requested) and no email.
A certificate that shows any of the e.firma's marks is taken for one. The OU alone does
not decide (a CSD requested without a branch name is still a CSD)."""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import PurePath

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from services.company_fields import without_capital_regime
from services.pkcs8 import kdf_rounds

MAX_UPLOAD_BYTES = 64 * 1024  # SAT's .cer is ~1.5 KB and its .key ~1.3 KB
# A .key bigger than this is refused before download and before any parse: a 4,096-bit
# one fits with room to spare (DER ~2.4 KB, PEM ~3.4 KB), while a crafted 31.7 KB one
# would hold the CPU for seconds while OpenSSL checks it.
MAX_KEY_BYTES = 8 * 1024
# SAT issues CSDs with 2,048-bit RSA keys; every password try costs more the bigger the
# modulus (a 16,384-bit key: half a minute), so no other size is taken.
RSA_BITS = range(2048, 4096 + 1)
MAX_HOLDER_LENGTH = 254  # CFDI 4.0's Emisor/@Nombre, which must be the certificate's name
EXPIRY_WARNING = timedelta(days=30)


class FileKind(StrEnum):
    CERTIFICATE = "certificate"
    KEY = "key"


class Refusal(StrEnum):
    TOO_LARGE = "too-large"
    NOT_CSD_FILE = "not-csd-file"
    NOT_A_CERTIFICATE = "not-a-certificate"
    NOT_A_KEY = "not-a-key"
    IS_FIEL = "is-fiel"
    WRONG_PASSWORD = "wrong-password"
    KEY_MISMATCH = "key-mismatch"
    NOT_YET_VALID = "not-yet-valid"
    EXPIRED = "expired"
    RFC_MISMATCH = "rfc-mismatch"
    NOT_FROM_SAT = "not-from-sat"  # X.509, but not what SAT issues as a CSD (see read_certificate)


class CsdProblem(Exception):
    """Why the files cannot be used; `rfc`, `valid_from` and `valid_until` tell more for
    the refusals about the certificate (RFC_MISMATCH, EXPIRED, NOT_YET_VALID)."""

    def __init__(
        self,
        refusal: Refusal,
        *,
        rfc: str | None = None,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
    ) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal
        self.rfc = rfc
        self.valid_from = valid_from
        self.valid_until = valid_until


@dataclass(frozen=True)
class Certificate:
    der: bytes
    serial: str  # SAT's 20-digit number, e.g. "30001000000500003416"
    rfc: str  # the holder's RFC (the first part of x500UniqueIdentifier)
    holder: str  # CN
    branch: str | None  # OU
    valid_from: datetime  # aware, UTC
    valid_until: datetime  # aware, UTC
    is_fiel: bool


@dataclass(frozen=True)
class Checked:
    certificate: Certificate
    key_der: bytes  # still encrypted, as SAT issued it
    expires_soon: bool
    days_left: int


_CERTIFICATE_EXTENSIONS = frozenset({".cer", ".crt"})
_KEY_EXTENSIONS = frozenset({".key"})
_CONTENT_EXTENSIONS = frozenset({".pem", ".der"})  # either kind: decided by the content
_CERTIFICATE_MIMES = frozenset(
    {"application/x-x509-ca-cert", "application/x-x509-user-cert", "application/pkix-cert"}
)
_KEY_MIMES = frozenset({"application/pkcs8", "application/x-pkcs8"})
_UNKNOWN_MIMES = frozenset({"", "application/octet-stream"})


def kind_of(file_name: str | None, mime_type: str | None, size: int | None) -> FileKind | None:
    """What a document is by what Telegram announces, before downloading it: a kind, or
    None when only the content can tell (a .pem, a file without a name). A PDF, a photo,
    a .zip is refused first for what it is; a certificate or key too big for one after."""
    extension = PurePath(file_name).suffix.lower() if file_name else ""
    mime = (mime_type or "").lower()
    kind: FileKind | None
    if extension in _CERTIFICATE_EXTENSIONS:
        kind = FileKind.CERTIFICATE
    elif extension in _KEY_EXTENSIONS:
        kind = FileKind.KEY
    elif extension in _CONTENT_EXTENSIONS:
        kind = None
    elif extension:
        raise CsdProblem(Refusal.NOT_CSD_FILE)
    elif mime in _CERTIFICATE_MIMES:
        kind = FileKind.CERTIFICATE
    elif mime in _KEY_MIMES:
        kind = FileKind.KEY
    elif mime in _UNKNOWN_MIMES:
        kind = None
    else:
        raise CsdProblem(Refusal.NOT_CSD_FILE)
    limit = MAX_KEY_BYTES if kind is FileKind.KEY else MAX_UPLOAD_BYTES
    if size is not None and size > limit:
        raise CsdProblem(Refusal.TOO_LARGE)
    return kind


def classify(data: bytes) -> FileKind:
    """What the bytes are: a certificate or an encrypted key (DER or PEM)."""
    for kind, read in ((FileKind.CERTIFICATE, read_certificate), (FileKind.KEY, read_key)):
        try:
            read(data)
        except CsdProblem as problem:
            if problem.refusal is Refusal.TOO_LARGE:
                raise
            continue
        return kind
    raise CsdProblem(Refusal.NOT_CSD_FILE)


def _refuse_large(data: bytes, limit: int = MAX_UPLOAD_BYTES) -> None:
    if len(data) > limit:
        raise CsdProblem(Refusal.TOO_LARGE)


def read_certificate(data: bytes) -> Certificate:
    """A DER or PEM X.509 certificate, as SAT issues them: one that is not what SAT issues
    to a taxpayer (no RFC, no name or one longer than an invoice's issuer name, a key that
    is not RSA of SAT's sizes, a certificate authority's, or one signed by its own key) is
    NOT_FROM_SAT.
    Whether SAT's authority signed it is left to the PAC, which holds SAT's certificates
    and asks SAT whether it was revoked; this bot does not."""
    _refuse_large(data)
    try:
        with warnings.catch_warnings():
            # cryptography warns of a CN over X.520's 64 characters; SAT's names of companies
            # may be longer (up to the 254 an invoice allows), and are read all the same.
            warnings.simplefilter("ignore", UserWarning)
            return _read_certificate(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # cryptography raises ValueError for anything it cannot parse, a malformed
        # extension included (read lazily, hence the whole of it).
        raise CsdProblem(Refusal.NOT_A_CERTIFICATE) from None


def _read_certificate(data: bytes) -> Certificate:
    # PEM wherever its block starts: after a byte-order mark, or after the "Bag Attributes"
    # and "subject=" lines that `openssl pkcs12` writes before it.
    if b"-----BEGIN" in data:
        parsed = x509.load_pem_x509_certificate(data)
    else:
        parsed = x509.load_der_x509_certificate(data)
    certificate = Certificate(
        der=parsed.public_bytes(serialization.Encoding.DER),
        serial=_sat_serial(parsed.serial_number),
        rfc=_rfc(parsed.subject),
        holder=_attribute(parsed.subject, NameOID.COMMON_NAME) or "",
        branch=_attribute(parsed.subject, NameOID.ORGANIZATIONAL_UNIT_NAME),
        valid_from=parsed.not_valid_before_utc,
        valid_until=parsed.not_valid_after_utc,
        is_fiel=_looks_like_fiel(parsed),
    )
    if not _looks_issued_to_a_taxpayer(parsed, certificate):
        raise CsdProblem(Refusal.NOT_FROM_SAT)
    return certificate


def _invisible(text: str) -> bool:
    """Control or format characters (NUL, U+202E…), which no name SAT writes holds."""
    return any(unicodedata.category(c) in ("Cc", "Cf") for c in text)


_RFC_SHAPE = re.compile(r"[A-ZÑ&]{3,4}\d{6}[A-Z\d]{3}")


def _looks_issued_to_a_taxpayer(parsed: x509.Certificate, certificate: Certificate) -> bool:
    """What every certificate SAT issues to a taxpayer has: an RFC, a name that fits an
    invoice, an RSA key of SAT's sizes, no authority's powers, and an issuer other than
    itself."""
    if not _RFC_SHAPE.fullmatch(certificate.rfc):
        return False
    if not certificate.holder or len(certificate.holder) > MAX_HOLDER_LENGTH:
        return False
    if certificate.branch is not None and len(certificate.branch) > MAX_HOLDER_LENGTH:
        return False
    if any(_invisible(text) for text in (certificate.holder, certificate.branch or "")):
        return False
    public = parsed.public_key()
    if not isinstance(public, rsa.RSAPublicKey) or public.key_size not in RSA_BITS:
        return False
    try:
        constraints = parsed.extensions.get_extension_for_class(x509.BasicConstraints).value
        if constraints.ca:
            return False
    except x509.ExtensionNotFound:
        pass
    try:
        if parsed.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign:
            return False
    except x509.ExtensionNotFound:
        pass
    if parsed.issuer == parsed.subject:
        return False
    return not _signed_by(parsed, public)  # by its own key, whatever issuer it names


def _signed_by(certificate: x509.Certificate, public: rsa.RSAPublicKey) -> bool:
    """Whether `public` verifies the certificate's signature (RSA, PKCS#1 v1.5 or PSS).
    Not `verify_directly_issued_by`, which refuses before verifying when the issuer's
    name is not the subject's."""
    scheme = certificate.signature_algorithm_parameters
    algorithm = certificate.signature_hash_algorithm
    if not isinstance(scheme, padding.PKCS1v15 | padding.PSS) or algorithm is None:
        return False
    try:
        public.verify(certificate.signature, certificate.tbs_certificate_bytes, scheme, algorithm)
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def _sat_serial(number: int) -> str:
    """SAT writes the 20 digits' ASCII codes as the serial's bytes; another CA's serial
    is shown as its decimal number."""
    raw = number.to_bytes((number.bit_length() + 7) // 8 or 1, "big")
    return raw.decode("ascii") if raw.isdigit() else str(number)


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    for attribute in name.get_attributes_for_oid(oid):
        value = attribute.value
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        text = " ".join(text.split())
        if text:
            return text
    return None


def _rfc(subject: x509.Name) -> str:
    """x500UniqueIdentifier holds "RFC / RFC del representante" (a persona moral's) or
    just the RFC (a persona física's)."""
    unique = _attribute(subject, NameOID.X500_UNIQUE_IDENTIFIER) or ""
    return unique.split("/")[0].strip().upper()


def _looks_like_fiel(certificate: x509.Certificate) -> bool:
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and (
        usage.data_encipherment or usage.key_agreement or usage.key_encipherment
    ):
        return True
    try:
        extended = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        extended = None
    if extended is not None and (
        ExtendedKeyUsageOID.EMAIL_PROTECTION in extended
        or ExtendedKeyUsageOID.CLIENT_AUTH in extended
    ):
        return True
    return bool(certificate.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS))


_PEM_KEY = re.compile(
    rb"-----BEGIN ENCRYPTED PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END ENCRYPTED PRIVATE KEY-----"
)


def read_key(data: bytes) -> bytes:
    """The DER of a PKCS#8 key encrypted with its password, as SAT issues it (a PEM one is
    turned into DER). An unencrypted key is refused: SAT never issues one, and keeping it
    would keep a usable key in the database. One bigger than SAT's keys ever are is refused
    unread (TOO_LARGE)."""
    _refuse_large(data, MAX_KEY_BYTES)
    der = data
    if b"-----BEGIN" in data:  # PEM, wherever its block starts (see _read_certificate)
        match = _PEM_KEY.search(data)
        if match is None:
            raise CsdProblem(Refusal.NOT_A_KEY)
        try:
            der = base64.b64decode(b"".join(match.group(1).split()), validate=True)
        except (binascii.Error, ValueError):
            raise CsdProblem(Refusal.NOT_A_KEY) from None
    try:
        serialization.load_der_private_key(der, password=None)
    except TypeError:
        # "Password was not given but private key is encrypted": what we want, unless its
        # password would take hours to try.
        rounds = kdf_rounds(der)
        if rounds is not None and rounds <= MAX_KDF_ROUNDS:
            return der
    except (ValueError, UnsupportedAlgorithm):
        pass
    raise CsdProblem(Refusal.NOT_A_KEY)


# Trying a password runs PBKDF2 as many rounds as the key file says: SAT's use 2048, and
# a file saying two billion would hold a thread for hours (services/pkcs8.py reads it).
MAX_KDF_ROUNDS = 1_000_000


_PROOF = b"cfdi-bot: this key seals for this certificate"


def check_csd(
    certificate: Certificate, key_der: bytes, password: str, *, rfc: str, now: datetime
) -> Checked:
    """The checks a PAC makes, in the order a person fixes them: the right certificate,
    the password, the pair, the dates, the RFC. Raises CsdProblem. (The service runs the
    key's part, `check_key`, in a process of its own: see services/csd.py.)"""
    if certificate.is_fiel:
        raise CsdProblem(Refusal.IS_FIEL)
    refusal = check_key(certificate.der, key_der, password)
    if refusal is not None:
        raise CsdProblem(refusal)
    return checked_dates_and_rfc(certificate, key_der, rfc=rfc, now=now)


def check_key(certificate_der: bytes, key_der: bytes, password: str) -> Refusal | None:
    """Whether the password opens the key and the key is the certificate's: None, or
    WRONG_PASSWORD, KEY_MISMATCH or NOT_A_KEY. OpenSSL's validation of the key (primality
    tests that take seconds for a crafted one, holding Python's lock) is skipped: the
    public halves compared and a test signature verified prove the pair instead."""
    try:
        private = serialization.load_der_private_key(
            key_der, password=password.encode(), unsafe_skip_rsa_key_validation=True
        )
    except (ValueError, TypeError):
        return Refusal.WRONG_PASSWORD
    except UnsupportedAlgorithm:
        return Refusal.NOT_A_KEY
    if isinstance(private, rsa.RSAPrivateKey) and private.key_size not in RSA_BITS:
        return Refusal.KEY_MISMATCH  # the certificate's is of SAT's sizes (read_certificate)
    public = x509.load_der_x509_certificate(certificate_der).public_key()
    return None if _same_pair(private, public) else Refusal.KEY_MISMATCH


def checked_dates_and_rfc(
    certificate: Certificate, key_der: bytes, *, rfc: str, now: datetime
) -> Checked:
    """After the key: the dates and the RFC, and how soon it expires. Raises CsdProblem."""
    _check_dates_and_rfc(certificate, rfc=rfc, now=now)
    left = certificate.valid_until - now
    return Checked(
        certificate=certificate,
        key_der=key_der,
        expires_soon=left <= EXPIRY_WARNING,
        days_left=left.days,
    )


def check_certificate(certificate: Certificate, *, rfc: str, now: datetime) -> None:
    """What the certificate alone can tell, as soon as it arrives: an e.firma, the dates,
    the RFC. Raises CsdProblem."""
    if certificate.is_fiel:
        raise CsdProblem(Refusal.IS_FIEL)
    _check_dates_and_rfc(certificate, rfc=rfc, now=now)


def _check_dates_and_rfc(certificate: Certificate, *, rfc: str, now: datetime) -> None:
    if not certificate.valid_from <= now < certificate.valid_until:
        raise CsdProblem(
            Refusal.NOT_YET_VALID if now < certificate.valid_from else Refusal.EXPIRED,
            valid_from=certificate.valid_from,
            valid_until=certificate.valid_until,
        )
    if certificate.rfc != rfc.strip().upper():
        raise CsdProblem(Refusal.RFC_MISMATCH, rfc=certificate.rfc)


def _same_pair(private: object, public: object) -> bool:
    """SAT's keys are RSA: the public halves must be the same, and a signature made with
    the key must verify with the certificate (the proof a PAC makes before sealing)."""
    if not isinstance(private, rsa.RSAPrivateKey) or not isinstance(public, rsa.RSAPublicKey):
        return False
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if private.public_key().public_bytes(der, spki) != public.public_bytes(der, spki):
        return False
    signature = private.sign(_PROOF, padding.PKCS1v15(), hashes.SHA256())
    try:
        public.verify(signature, _PROOF, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def name_without_capital(holder: str) -> str:
    """The holder as CFDI 4.0 names the issuer: "ESCUELA KEMPER URGATE SA DE CV" ->
    "ESCUELA KEMPER URGATE"."""
    name = " ".join(holder.split()).upper()
    return without_capital_regime(name) or name


def _folded(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name_without_capital(name).casefold())
    kept = (c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return " ".join("".join(kept).split())


def holder_matches(holder: str, razon_social: str) -> bool:
    """The certificate's holder and the company's razón social name the same issuer, once
    the régimen capital, case, accents, punctuation and spacing are set aside."""
    return _folded(holder) == _folded(razon_social)
