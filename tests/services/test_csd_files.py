"""The CSD's files read and checked as a PAC does, with SAT's test credentials and
certificates made to order (tests/sat_certs.py)."""

from __future__ import annotations

import io
import os
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization

from services.csd_files import (
    MAX_KEY_BYTES,
    MAX_UPLOAD_BYTES,
    CsdProblem,
    FileKind,
    Refusal,
    check_csd,
    check_key,
    classify,
    holder_matches,
    kind_of,
    name_without_capital,
    read_certificate,
    read_key,
)
from tests.sat_certs import (
    SAT_CSD_HOLDER,
    SAT_CSD_RFC,
    SAT_CSD_SERIAL,
    SAT_CSD_VALID_FROM,
    SAT_CSD_VALID_UNTIL,
    SAT_PASSWORD,
    crafted_key,
    make_csd,
    make_odd_csd,
    sat_file,
)

NOW = datetime(2025, 1, 15, 12, tzinfo=UTC)


def refusal_of(call: object, *args: object, **kwargs: object) -> Refusal:
    assert callable(call)
    with pytest.raises(CsdProblem) as raised:
        call(*args, **kwargs)
    return raised.value.refusal


def check_sat_csd(password: str = SAT_PASSWORD, rfc: str = SAT_CSD_RFC, now: datetime = NOW):
    certificate = read_certificate(sat_file("eku_csd.cer"))
    return check_csd(certificate, read_key(sat_file("eku_csd.key")), password, rfc=rfc, now=now)


def test_sat_test_csd_is_accepted_with_its_serial_dates_and_holder() -> None:
    checked = check_sat_csd()
    certificate = checked.certificate
    assert certificate.serial == SAT_CSD_SERIAL
    assert certificate.rfc == SAT_CSD_RFC
    assert certificate.holder == SAT_CSD_HOLDER
    assert certificate.branch == "Sucursal 1"
    assert certificate.valid_from == SAT_CSD_VALID_FROM
    assert certificate.valid_until == SAT_CSD_VALID_UNTIL
    assert not certificate.is_fiel
    assert checked.key_der == sat_file("eku_csd.key")  # kept encrypted, as issued
    assert not checked.expires_soon
    assert checked.days_left == (SAT_CSD_VALID_UNTIL - NOW).days


def test_pem_forms_are_read_as_their_der() -> None:
    csd = make_csd(rfc="GODE561231GR8")
    assert read_certificate(csd.cer_pem).der == csd.cer
    key_der = read_key(csd.key_pem)
    checked = check_csd(
        read_certificate(csd.cer_pem),
        key_der,
        csd.password,
        rfc="GODE561231GR8",
        now=datetime.now(UTC),
    )
    assert checked.certificate.serial == csd.serial
    assert classify(csd.cer_pem) is FileKind.CERTIFICATE
    assert classify(csd.key_pem) is FileKind.KEY


def test_sat_efirma_is_refused_as_fiel_even_with_its_right_password() -> None:
    certificate = read_certificate(sat_file("eku_fiel.cer"))
    assert certificate.is_fiel
    key = read_key(sat_file("eku_fiel.key"))
    assert refusal_of(check_csd, certificate, key, SAT_PASSWORD, rfc=SAT_CSD_RFC, now=NOW) == (
        Refusal.IS_FIEL
    )


def test_a_generated_efirma_is_refused_and_a_csd_without_branch_is_not() -> None:
    fiel = make_csd(fiel=True)
    assert read_certificate(fiel.cer).is_fiel
    plain = make_csd(branch=None)
    assert not read_certificate(plain.cer).is_fiel


@pytest.mark.parametrize("mark", ["usage", "extended", "email"])
def test_any_one_mark_of_an_efirma_makes_it_one(mark: str) -> None:
    assert read_certificate(make_csd(fiel_marks={mark}).cer).is_fiel


def test_wrong_password_is_refused() -> None:
    assert refusal_of(check_sat_csd, password="12345678b") == Refusal.WRONG_PASSWORD
    assert refusal_of(check_sat_csd, password="") == Refusal.WRONG_PASSWORD


def test_a_key_of_another_certificate_is_refused() -> None:
    mine = make_csd(key_index=0)
    other = make_csd(key_index=1)
    certificate = read_certificate(mine.cer)
    refusal = refusal_of(
        check_csd, certificate, other.key, other.password, rfc=SAT_CSD_RFC, now=datetime.now(UTC)
    )
    assert refusal == Refusal.KEY_MISMATCH
    sat_key = read_key(sat_file("eku_csd.key"))
    refusal = refusal_of(check_csd, certificate, sat_key, SAT_PASSWORD, rfc=SAT_CSD_RFC, now=NOW)
    assert refusal == Refusal.KEY_MISMATCH


def test_expired_csd_is_refused_with_its_dates() -> None:
    certificate = read_certificate(sat_file("aaa_csd_expired.cer"))
    key = read_key(sat_file("aaa_csd_expired.key"))
    with pytest.raises(CsdProblem) as raised:
        check_csd(certificate, key, SAT_PASSWORD, rfc="AAA010101AAA", now=NOW)
    assert raised.value.refusal == Refusal.EXPIRED
    assert raised.value.valid_until == datetime(2021, 5, 18, 3, 54, 56, tzinfo=UTC)
    assert certificate.serial == "30001000000300023708"


def test_the_last_second_of_validity_is_still_valid_and_the_end_is_not() -> None:
    assert check_sat_csd(now=SAT_CSD_VALID_UNTIL - timedelta(seconds=1)).days_left == 0
    assert refusal_of(check_sat_csd, now=SAT_CSD_VALID_UNTIL) == Refusal.EXPIRED


def test_not_yet_valid_is_refused() -> None:
    csd = make_csd(valid_from=NOW + timedelta(days=2))
    certificate = read_certificate(csd.cer)
    assert refusal_of(check_csd, certificate, csd.key, csd.password, rfc=SAT_CSD_RFC, now=NOW) == (
        Refusal.NOT_YET_VALID
    )
    assert refusal_of(check_sat_csd, now=SAT_CSD_VALID_FROM - timedelta(seconds=1)) == (
        Refusal.NOT_YET_VALID
    )


def test_expiring_within_30_days_is_accepted_with_a_warning() -> None:
    soon = check_sat_csd(now=SAT_CSD_VALID_UNTIL - timedelta(days=10))
    assert soon.expires_soon and soon.days_left == 10
    edge = check_sat_csd(now=SAT_CSD_VALID_UNTIL - timedelta(days=30))
    assert edge.expires_soon and edge.days_left == 30
    later = check_sat_csd(now=SAT_CSD_VALID_UNTIL - timedelta(days=31))
    assert not later.expires_soon


def test_generated_csd_expiring_in_ten_days_is_flagged() -> None:
    csd = make_csd(rfc="GODE561231GR8", valid_days=11)
    checked = check_csd(
        read_certificate(csd.cer),
        csd.key,
        csd.password,
        rfc="GODE561231GR8",
        now=datetime.now(UTC),
    )
    assert checked.expires_soon and checked.days_left == 9


def test_another_rfc_is_refused_and_named() -> None:
    with pytest.raises(CsdProblem) as raised:
        check_sat_csd(rfc="MAB9307148T4")
    assert raised.value.refusal == Refusal.RFC_MISMATCH
    assert raised.value.rfc == SAT_CSD_RFC
    assert check_sat_csd(rfc=" eku9003173c9 ").certificate.rfc == SAT_CSD_RFC


def test_a_persona_fisica_rfc_without_representative_is_read() -> None:
    csd = make_csd(rfc="GODE561231GR8", holder="ERNESTO GODINEZ", representative_rfc=None)
    assert read_certificate(csd.cer).rfc == "GODE561231GR8"


def test_checks_run_fiel_then_password_then_pair_then_dates_then_rfc() -> None:
    fiel = read_certificate(sat_file("eku_fiel.cer"))
    key = read_key(sat_file("eku_csd.key"))
    assert refusal_of(check_csd, fiel, key, "wrong", rfc="X", now=NOW) == Refusal.IS_FIEL
    expired = read_certificate(sat_file("aaa_csd_expired.cer"))
    assert refusal_of(check_csd, expired, key, "wrong", rfc="X", now=NOW) == (
        Refusal.WRONG_PASSWORD
    )
    assert refusal_of(check_csd, expired, key, SAT_PASSWORD, rfc="X", now=NOW) == (
        Refusal.KEY_MISMATCH
    )
    expired_key = read_key(sat_file("aaa_csd_expired.key"))
    assert refusal_of(check_csd, expired, expired_key, SAT_PASSWORD, rfc="X", now=NOW) == (
        Refusal.EXPIRED
    )


GARBAGE = {
    "empty": b"",
    "random": os.urandom(1500),
    "pdf": b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
    "png": b"\x89PNG\r\n\x1a\n" + os.urandom(100),
    "text": "RFC: EKU9003173C9, contraseña 12345678a".encode(),
    "pem-armor-only": b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    "der-sequence-header": b"\x30\x82\xff\xff" + b"\x00" * 20,
}


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("eku_csd.cer", sat_file("eku_csd.cer"))
    return buffer.getvalue()


@pytest.mark.parametrize("name", [*GARBAGE, "zip"])
def test_garbage_is_refused_never_crashes(name: str) -> None:
    data = _zip() if name == "zip" else GARBAGE[name]
    assert refusal_of(read_certificate, data) == Refusal.NOT_A_CERTIFICATE
    assert refusal_of(read_key, data) == Refusal.NOT_A_KEY
    assert refusal_of(classify, data) == Refusal.NOT_CSD_FILE


def test_huge_input_is_refused_by_size_before_parsing() -> None:
    huge = sat_file("eku_csd.cer") + b"\x00" * MAX_UPLOAD_BYTES
    assert refusal_of(read_certificate, huge) == Refusal.TOO_LARGE
    assert refusal_of(read_key, b"-----BEGIN" + b"A" * 10_000_000) == Refusal.TOO_LARGE
    assert refusal_of(classify, huge) == Refusal.TOO_LARGE


def test_a_certificate_is_not_a_key_nor_a_key_a_certificate() -> None:
    assert refusal_of(read_key, sat_file("eku_csd.cer")) == Refusal.NOT_A_KEY
    assert refusal_of(read_certificate, sat_file("eku_csd.key")) == Refusal.NOT_A_CERTIFICATE
    assert classify(sat_file("eku_csd.cer")) is FileKind.CERTIFICATE
    assert classify(sat_file("eku_csd.key")) is FileKind.KEY


def test_a_key_whose_password_would_take_hours_to_try_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = sat_file("eku_csd.key")  # PBKDF2 with 2048 rounds
    assert read_key(key) == key
    assert read_key(make_csd().key)
    monkeypatch.setattr("services.csd_files.MAX_KDF_ROUNDS", 2047)
    assert refusal_of(read_key, key) == Refusal.NOT_A_KEY
    tampered = key.replace(bytes.fromhex("02020800"), bytes.fromhex("02027fff"), 1)
    monkeypatch.setattr("services.csd_files.MAX_KDF_ROUNDS", 32766)
    assert refusal_of(read_key, tampered) == Refusal.NOT_A_KEY


def test_an_unencrypted_key_is_refused() -> None:
    plain = make_csd().private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    assert refusal_of(read_key, plain) == Refusal.NOT_A_KEY


@pytest.mark.parametrize(
    ("name", "mime", "kind"),
    [
        ("eku_csd.cer", "application/octet-stream", FileKind.CERTIFICATE),
        ("00001000000712345678.CER", None, FileKind.CERTIFICATE),
        ("certificado.crt", "application/x-x509-ca-cert", FileKind.CERTIFICATE),
        ("Claveprivada_FIEL_EKU.key", "application/octet-stream", FileKind.KEY),
        ("csd.pem", "application/x-pem-file", None),
        (None, "application/pkix-cert", FileKind.CERTIFICATE),
        (None, "application/pkcs8", FileKind.KEY),
        (None, None, None),
        ("sin-extension", "application/octet-stream", None),
    ],
)
def test_kind_by_name_and_mime(name: str | None, mime: str | None, kind: FileKind | None) -> None:
    assert kind_of(name, mime, 1500) is kind


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("constancia.pdf", "application/pdf"),
        ("foto.jpg", "image/jpeg"),
        ("csd.zip", "application/zip"),
        ("password.txt", "text/plain"),
        (None, "image/png"),
    ],
)
def test_other_documents_are_refused_by_name_before_download(name: str | None, mime: str) -> None:
    assert refusal_of(kind_of, name, mime, 1500) == Refusal.NOT_CSD_FILE
    assert refusal_of(kind_of, name, mime, 20 * 1024 * 1024) == Refusal.NOT_CSD_FILE


def test_a_certificate_too_big_is_refused_by_its_announced_size() -> None:
    assert kind_of("eku_csd.cer", None, MAX_UPLOAD_BYTES) is FileKind.CERTIFICATE
    assert refusal_of(kind_of, "eku_csd.cer", None, MAX_UPLOAD_BYTES + 1) == Refusal.TOO_LARGE
    assert refusal_of(kind_of, "eku_csd.key", None, 20 * 1024 * 1024) == Refusal.TOO_LARGE


@pytest.mark.parametrize(
    "razon_social",
    [
        "ESCUELA KEMPER URGATE",
        "Escuela Kemper Urgate",
        "ESCUELA KEMPER URGATE SA DE CV",
        "Escuela Kemper Urgate, S.A. de C.V.",
        "ESCUELA  KEMPER   URGATE SOCIEDAD ANONIMA DE CAPITAL VARIABLE",
        "Escuéla Kemper Urgate",
    ],
)
def test_holder_matches_the_razon_social_whatever_its_capital_form(razon_social: str) -> None:
    assert holder_matches(SAT_CSD_HOLDER, razon_social)


@pytest.mark.parametrize(
    "razon_social", ["ESCUELA KEMPER", "ESCUELA KEMPER URGATE DOS", "ACCEM SERVICIOS"]
)
def test_holder_differs_from_another_name(razon_social: str) -> None:
    assert not holder_matches(SAT_CSD_HOLDER, razon_social)


def test_name_without_capital() -> None:
    assert name_without_capital(SAT_CSD_HOLDER) == "ESCUELA KEMPER URGATE"
    assert name_without_capital("ACCEM SERVICIOS EMPRESARIALES SC") == (
        "ACCEM SERVICIOS EMPRESARIALES"
    )
    assert name_without_capital("ERNESTO GODINEZ") == "ERNESTO GODINEZ"


# What SAT never issues to a taxpayer


@pytest.mark.parametrize(
    "odd",
    [
        pytest.param({"unique": None}, id="no-x500UniqueIdentifier"),
        pytest.param({"unique": " / VADA800927DJ3"}, id="only-the-representative"),
        pytest.param({"holder": "X" * 255}, id="name-longer-than-an-invoice-allows"),
        pytest.param({"self_signed": True}, id="signed-by-itself"),
        pytest.param({"own_key_other_issuer": True}, id="signed-by-itself-naming-another"),
        pytest.param({"ca": True}, id="a-certificate-authority"),
        pytest.param({"elliptic": True}, id="an-ec-key"),
    ],
)
def test_what_sat_never_issues_is_refused_as_not_from_sat(odd: dict[str, object]) -> None:
    with pytest.raises(CsdProblem) as refused:
        read_certificate(make_odd_csd(**odd).cer)  # type: ignore[arg-type]
    assert refused.value.refusal is Refusal.NOT_FROM_SAT


def test_an_ordinary_odd_csd_is_read() -> None:
    """The same maker with nothing odd gives a certificate that is read (so each case above
    is refused for its own oddity)."""
    certificate = read_certificate(make_odd_csd(holder="X" * 254).cer)
    assert certificate.rfc == "EKU9003173C9" and len(certificate.holder) == 254


# What would cost seconds of CPU: refused before any password


@pytest.mark.parametrize("bits", [1024, 8192, 16384])
def test_a_key_size_sat_never_issues_is_refused_as_the_certificate_arrives(bits: int) -> None:
    """SAT's CSDs are 2,048-bit RSA; a bigger modulus would make every password try cost
    seconds."""
    assert refusal_of(read_certificate, make_csd(modulus_bits=bits).cer) == Refusal.NOT_FROM_SAT
    assert read_certificate(make_csd(modulus_bits=4096).cer).rfc == SAT_CSD_RFC


def test_a_key_bigger_than_a_few_kb_is_refused_before_download_and_before_parsing() -> None:
    crafted = crafted_key()  # 31.7 KB: validating it would hold the CPU for seconds
    assert len(crafted) > MAX_KEY_BYTES
    assert refusal_of(kind_of, "CSD.key", None, len(crafted)) == Refusal.TOO_LARGE
    assert refusal_of(read_key, crafted) == Refusal.TOO_LARGE
    assert refusal_of(classify, crafted) == Refusal.TOO_LARGE
    assert kind_of("CSD.key", None, MAX_KEY_BYTES) is FileKind.KEY
    assert kind_of("CSD.cer", None, MAX_KEY_BYTES + 1) is FileKind.CERTIFICATE


def test_a_key_is_opened_without_the_slow_validation_and_still_proven_by_a_signature() -> None:
    """Loading skips OpenSSL's primality checks (seconds for a crafted key); the pair is
    proven by the public halves and a test signature instead."""
    certificate = read_certificate(sat_file("eku_csd.cer"))
    key = read_key(sat_file("eku_csd.key"))
    assert check_key(certificate.der, key, SAT_PASSWORD) is None
    assert check_key(certificate.der, key, "otra") is Refusal.WRONG_PASSWORD
    other = read_key(make_csd(key_index=1).key)
    assert check_key(certificate.der, other, SAT_PASSWORD) is Refusal.KEY_MISMATCH
    crafted = crafted_key(factor_bits=1024)  # small enough to pass the size limit
    assert check_key(certificate.der, read_key(crafted), SAT_PASSWORD) is Refusal.KEY_MISMATCH
