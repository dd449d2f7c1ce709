"""SAT's public test credentials and SAT-like certificates made on the spot.

`SAT_DIR` holds SAT's own files (every password `SAT_PASSWORD`): `sat_file("eku_csd.cer")`.
`make_csd(...)` issues a certificate and its encrypted key the way SAT lays them out:

    csd = make_csd(rfc="GODE561231GR8", holder="ERNESTO GODINEZ", valid_days=10)
    csd.cer            # DER certificate (csd.cer_pem for PEM)
    csd.key            # DER PKCS#8 encrypted with csd.password (csd.key_pem for PEM)

The subject has CN, O and name (the holder), OU (the branch), x500UniqueIdentifier
"RFC / RFC del representante" and serialNumber " / CURP"; the serial number is SAT's 20
digits' ASCII bytes read as one big integer. `fiel=True` gives an e.firma's marks instead
(key usage with data encipherment and key agreement, extended key usage, an email, no
OU). `key_index` picks one of a few RSA keys, made once per process (they are slow to
make): a mismatched pair is one credential's `.cer` with another `key_index`'s `.key`.
"""

from __future__ import annotations

import functools
import math
import secrets
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SAT_DIR = Path(__file__).resolve().parent / "data" / "sat"  # SAT's public test files
SAT_PASSWORD = "12345678a"
SAT_CSD_SERIAL = "30001000000500003416"
SAT_CSD_RFC = "EKU9003173C9"
SAT_CSD_HOLDER = "ESCUELA KEMPER URGATE SA DE CV"
SAT_CSD_VALID_FROM = datetime(2023, 5, 18, 11, 43, 51, tzinfo=UTC)
SAT_CSD_VALID_UNTIL = datetime(2027, 5, 18, 11, 43, 51, tzinfo=UTC)


def sat_file(name: str) -> bytes:
    """One of SAT's files: eku_csd.cer/.key, eku_fiel.cer/.key, aaa_csd_expired.cer/.key."""
    return (SAT_DIR / name).read_bytes()


@dataclass(frozen=True)
class CredentialFiles:
    cer: bytes
    key: bytes
    password: str
    private_key: rsa.RSAPrivateKey
    serial: str
    valid_from: datetime
    valid_until: datetime

    @property
    def cer_pem(self) -> bytes:
        return x509.load_der_x509_certificate(self.cer).public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return _encrypted(self.private_key, self.password, serialization.Encoding.PEM)


@functools.cache
def _private_key(index: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def _issuer_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _encrypted(key: rsa.RSAPrivateKey, password: str, encoding: serialization.Encoding) -> bytes:
    # PBES2 (PBKDF2 + AES-256-CBC), as SAT's keys are.
    return key.private_bytes(
        encoding,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password.encode()),
    )


_serials = iter(range(1, 10**8))


def make_csd(
    *,
    rfc: str = SAT_CSD_RFC,
    holder: str = SAT_CSD_HOLDER,
    branch: str | None = "Sucursal 1",
    representative_rfc: str | None = "VADA800927DJ3",
    valid_from: datetime | None = None,
    valid_days: float = 4 * 365,
    password: str = SAT_PASSWORD,
    fiel: bool = False,
    fiel_marks: Collection[str] = (),
    key_index: int = 0,
    modulus_bits: int | None = None,
) -> CredentialFiles:
    """A SAT-like CSD (or e.firma, `fiel=True`) valid from `valid_from` (default: a day
    ago) for `valid_days`. `fiel_marks` gives only some of an e.firma's marks: "usage"
    (data encipherment, key agreement), "extended" (extended key usage), "email".
    `modulus_bits` gives the certificate a public key of that size with no private key
    behind it (`key` stays `key_index`'s): a size SAT never issues costs nothing to make."""
    marks = set(fiel_marks) | ({"usage", "extended", "email"} if fiel else set())
    start = valid_from or datetime.now(UTC) - timedelta(days=1)
    end = start + timedelta(days=valid_days)
    private = _private_key(key_index)
    serial = f"3000100000090{next(_serials):07d}"
    unique = f"{rfc} / {representative_rfc}" if representative_rfc else rfc
    names = [
        x509.NameAttribute(NameOID.COMMON_NAME, holder),
        x509.NameAttribute(x509.ObjectIdentifier("2.5.4.41"), holder),  # name
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, holder),
        x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, unique),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, " / VADA800927HSRSRL05"),
    ]
    if "email" in marks:
        names.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, "pruebas@example.mx"))
    if branch and not fiel:
        names.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, branch))
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "AC DE PRUEBAS (NO ES SAT)")])
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(names))
        .issuer_name(issuer)
        .public_key(_odd_public_key(modulus_bits) if modulus_bits else private.public_key())
        .serial_number(int.from_bytes(serial.encode(), "big"))
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment="usage" in marks,
                key_agreement="usage" in marks,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=False,
        )
    )
    if "extended" in marks:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
    certificate = builder.sign(_issuer_key(), hashes.SHA256())
    return CredentialFiles(
        cer=certificate.public_bytes(serialization.Encoding.DER),
        key=_encrypted(private, password, serialization.Encoding.DER),
        password=password,
        private_key=private,
        serial=serial,
        valid_from=certificate.not_valid_before_utc,
        valid_until=certificate.not_valid_after_utc,
    )


def _rough_number(bits: int) -> int:
    """An odd number of `bits` bits with no prime factor below 20,000 (so a primality
    test must work on it), found in milliseconds."""
    while True:
        number = secrets.randbits(bits) | (1 << (bits - 1)) | 1
        if math.gcd(number, _small_primes_product()) == 1:
            return number


@functools.cache
def _small_primes_product() -> int:
    sieve = bytearray([1]) * 20_000
    sieve[:2] = b"\x00\x00"
    for n in range(2, 142):
        if sieve[n]:
            sieve[n * n :: n] = bytes(len(sieve[n * n :: n]))
    return math.prod(n for n, prime in enumerate(sieve) if prime)


def _odd_public_key(bits: int) -> rsa.RSAPublicKey:
    return rsa.RSAPublicNumbers(65537, _rough_number(bits)).public_key()


def endless_check_key(certificate_der: bytes, key_der: bytes, password: str) -> None:
    """Stands for `services.csd_files.check_key` on a key whose check never ends (what
    `crafted_key` makes costs seconds, not forever): run in the bot's isolated process,
    which imports it from here."""
    time.sleep(30)


def crafted_key(*, factor_bits: int = 28_000, password: str = SAT_PASSWORD) -> bytes:
    """An encrypted PKCS#8 "RSA key" whose factors are `factor_bits`-bit numbers with no
    small divisor: made in milliseconds, yet validating it (a primality test of each
    factor) holds a CPU, and Python's lock, for seconds. 31.7 KB at 28,000 bits."""
    p, q = _rough_number(factor_bits), _rough_number(factor_bits)
    half = factor_bits - 8
    numbers = rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=secrets.randbits(2 * factor_bits - 8) | 1,
        dmp1=secrets.randbits(half) | 1,
        dmq1=secrets.randbits(half) | 1,
        iqmp=secrets.randbits(half) | 1,
        public_numbers=rsa.RSAPublicNumbers(65537, p * q),
    )
    key = numbers.private_key(unsafe_skip_rsa_key_validation=True)
    return _encrypted(key, password, serialization.Encoding.DER)


def make_odd_csd(
    *,
    holder: str = SAT_CSD_HOLDER,
    unique: str | None = f"{SAT_CSD_RFC} / VADA800927DJ3",
    self_signed: bool = False,
    own_key_other_issuer: bool = False,
    ca: bool = False,
    elliptic: bool = False,
) -> CredentialFiles:
    """A SAT-like CSD with what SAT never issues: a long or odd CN (not length-checked),
    no x500UniqueIdentifier (`unique=None`), signed by its own key (naming itself as the
    issuer, or `own_key_other_issuer` naming SAT-like one), a CA's basic constraints, or
    an EC key."""
    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = (
        ec.generate_private_key(ec.SECP256R1())
        if elliptic
        else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    names = [
        x509.NameAttribute(NameOID.COMMON_NAME, holder, _validate=False),
        x509.NameAttribute(x509.ObjectIdentifier("2.5.4.41"), holder, _validate=False),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, holder, _validate=False),
    ]
    if unique is not None:
        names.append(x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, unique))
    names += [
        x509.NameAttribute(NameOID.SERIAL_NUMBER, " / VADA800927HSRSRL05"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Sucursal 1"),
    ]
    subject = x509.Name(names)
    own_key = self_signed or own_key_other_issuer
    issuer_key = private if own_key else rsa.generate_private_key(65537, 2048)
    issuer = (
        subject
        if self_signed
        else x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "AC DE PRUEBAS (NO ES SAT)")])
    )
    serial = "30001000000900999999"
    start = datetime.now(UTC) - timedelta(days=1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(private.public_key())
        .serial_number(int.from_bytes(serial.encode(), "big"))
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=4 * 365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=False,
        )
        .sign(issuer_key, hashes.SHA256())
    )
    key = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(SAT_PASSWORD.encode()),
    )
    return CredentialFiles(
        cer=certificate.public_bytes(serialization.Encoding.DER),
        key=key,
        password=SAT_PASSWORD,
        private_key=private,  # type: ignore[arg-type]  # an EC key, in the EC case
        serial=serial,
        valid_from=certificate.not_valid_before_utc,
        valid_until=certificate.not_valid_after_utc,
    )
