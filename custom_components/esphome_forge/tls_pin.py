"""The sidecar's TLS key, pinned by the SHA-256 fingerprint of its SubjectPublicKeyInfo.

The sidecar serves TLS with its own self-signed key (see the README's Security section). Home Assistant
pins that key by its fingerprint — shown in the config flow, stored in the entry — instead of trusting a
CA. The check runs while aiohttp sets up the connection, before the request (and its admin token) is
written; a sidecar with another key is refused and the entry asks to reauthenticate, showing the new
fingerprint for the user to compare. A sidecar with a CA-issued certificate needs no pin.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl

import aiohttp
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from yarl import URL

from homeassistant.util.ssl import client_context, get_default_no_verify_context

PROBE_TIMEOUT = 10.0


def spki_fingerprint(der_certificate: bytes) -> str:
    """SHA-256 of the certificate key's SPKI DER, lowercase hex (what the sidecar prints)."""
    key = x509.load_der_x509_certificate(der_certificate).public_key()
    return hashlib.sha256(
        key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    ).hexdigest()


def format_fingerprint(fingerprint: str) -> str:
    """Groups of four hex digits, for people to compare."""
    return " ".join(fingerprint[i : i + 4] for i in range(0, len(fingerprint), 4))


class KeyMismatchError(aiohttp.ServerFingerprintMismatch):
    """The sidecar presented another TLS key than the one pinned."""

    def __init__(self, expected: str, presented: str, host: str, port: int) -> None:
        """Keep both fingerprints as hex."""
        super().__init__(bytes.fromhex(expected), bytes.fromhex(presented), host, port)
        self.presented = presented


class PinnedKey(aiohttp.Fingerprint):
    """An aiohttp `ssl=` value that accepts exactly one key, by SPKI fingerprint (no CA)."""

    def __init__(self, fingerprint: str) -> None:
        """`fingerprint`: 64 hex digits."""
        super().__init__(bytes.fromhex(fingerprint))
        self.hex = fingerprint

    def check(self, transport: asyncio.Transport) -> None:
        """Called by aiohttp once the handshake is done, before anything is sent."""
        host, port, *_ = transport.get_extra_info("peername") or ("?", 0)
        sslobj = transport.get_extra_info("ssl_object")
        der = sslobj.getpeercert(binary_form=True) if sslobj is not None else None
        presented = spki_fingerprint(der) if der else "0" * 64
        if presented != self.hex:
            raise KeyMismatchError(self.hex, presented, host, port)


async def presented_fingerprint(url: str) -> str:
    """The fingerprint of the key the server at `url` (https) presents, read without trusting it."""
    parsed = URL(url)
    context: ssl.SSLContext = get_default_no_verify_context()
    async with asyncio.timeout(PROBE_TIMEOUT):
        _, writer = await asyncio.open_connection(
            parsed.host, parsed.port, ssl=context, server_hostname=parsed.host
        )
    try:
        sslobj = writer.get_extra_info("ssl_object")
        der = sslobj.getpeercert(binary_form=True) if sslobj is not None else None
        if not der:
            raise ValueError(f"{url} presented no certificate")
        return spki_fingerprint(der)
    finally:
        writer.close()


async def ca_verified(url: str) -> bool:
    """Whether the server at `url` (https) has a certificate this machine's CAs vouch for."""
    parsed = URL(url)
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            _, writer = await asyncio.open_connection(
                parsed.host, parsed.port, ssl=client_context(), server_hostname=parsed.host
            )
    except ssl.SSLCertVerificationError:
        return False
    writer.close()
    return True
