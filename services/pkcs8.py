"""How many rounds an encrypted PKCS#8 key's password derivation asks for, read from its
DER (EncryptedPrivateKeyInfo, RFC 5958 and 8018): cryptography does not expose the
count, and trying a password runs that many PBKDF2 rounds."""

from __future__ import annotations

_PBES2 = bytes.fromhex("2a864886f70d01050d")  # 1.2.840.113549.1.5.13
_PBKDF2 = bytes.fromhex("2a864886f70d01050c")  # 1.2.840.113549.1.5.12


def _tlv(data: bytes, at: int) -> tuple[int, int, int]:
    """The tag, and where the content starts and ends, of the DER element at `at`."""
    tag, length, at = data[at], data[at + 1], at + 2
    if length & 0x80:
        size = length & 0x7F
        if not 0 < size <= 4:
            raise ValueError("unsupported DER length")
        length, at = int.from_bytes(data[at : at + size], "big"), at + size
    if at + length > len(data):
        raise ValueError("DER element overruns its data")
    return tag, at, at + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    found = []
    while start < end:
        element = _tlv(data, start)
        found.append(element)
        start = element[2]
    return found


def kdf_rounds(der: bytes) -> int | None:
    """PBKDF2's iteration count (PBES2, or PBES1/PKCS#12's `SEQUENCE {salt, count}`);
    None for any other key derivation (scrypt...), which SAT never uses, or bad DER."""
    try:
        _, start, end = _tlv(der, 0)
        _, start, end = _children(der, start, end)[0]  # AlgorithmIdentifier
        (_, o_start, o_end), (_, p_start, p_end) = _children(der, start, end)[:2]
        params = _children(der, p_start, p_end)
        if der[o_start:o_end] == _PBES2:
            _, k_start, k_end = params[0]  # keyDerivationFunc
            (_, o_start, o_end), (_, p_start, p_end) = _children(der, k_start, k_end)[:2]
            if der[o_start:o_end] != _PBKDF2:
                return None
            params = _children(der, p_start, p_end)
        tag, c_start, c_end = params[1]  # after the salt
        return int.from_bytes(der[c_start:c_end], "big") if tag == 0x02 else None
    except (ValueError, IndexError):
        return None
