"""Release signing: one Ed25519 key per agency, kept beside its pseudonymisation key, outside the repository.

The private key signs each release's ``RELEASE.json`` and each line of ``releases.jsonl``; its public key is
published in the index and ``data.json`` so that anyone can check a release without asking the agency.
The key file holds the 32-byte private seed as 64 hex digits (mode 600), like the pseudonymisation key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import stat
from pathlib import Path

from transparency.core.errors import ConfigError
from transparency.core.keys import keys_dir

ALGORITHM = "Ed25519"
#: What each signature is over: the purpose first, so a signature of one kind can never pass for another.
RELEASE_CONTEXT = b"transparency release manifest v1\n"
LOG_CONTEXT = b"transparency release log entry v1\n"

__all__ = ["ALGORITHM", "LOG_CONTEXT", "RELEASE_CONTEXT", "SigningKey", "canonical", "create_signing_key",
           "key_fingerprint", "read_signing_key", "signature_holds", "signing_key_path"]


def signing_key_path(agency_slug: str) -> Path:
    """``<keys dir>/<agency>.signing.key`` (see :func:`transparency.core.keys.keys_dir`)."""
    return keys_dir() / f"{agency_slug}.signing.key"


def canonical(data: dict) -> bytes:
    """The bytes a signature is over: JSON with sorted keys and no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def key_fingerprint(public_key: str) -> str:
    """A short name of a public key (the first 16 hex digits of the sha256 of its 32 bytes)."""
    return hashlib.sha256(base64.b64decode(public_key)).hexdigest()[:16]


class SigningKey:
    """An agency's private signing key; ``public`` is its public key, base64 of the 32 raw bytes."""

    def __init__(self, seed: bytes):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        raw = self._key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public = base64.b64encode(raw).decode("ascii")

    def sign(self, context: bytes, data: dict) -> str:
        """Base64 signature of ``context`` + :func:`canonical` ``data``."""
        return base64.b64encode(self._key.sign(context + canonical(data))).decode("ascii")


def signature_holds(public_key: str, signature: str, context: bytes, data: dict) -> bool:
    """Whether ``signature`` is the key's signature of ``context`` + :func:`canonical` ``data``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        key.verify(base64.b64decode(signature, validate=True), context + canonical(data))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def create_signing_key(agency_slug: str) -> tuple[Path, bool]:
    """Write a new signing key for the agency (mode 600) unless it has one; (its path, whether it is new)."""
    path = signing_key_path(agency_slug)
    if path.is_dir():
        raise ConfigError(str(path), "", "the signing key path is a folder, not a key file: remove the folder and run "
                          "`transparency keygen` again")
    if path.exists() or path.is_symlink():
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    os.replace(temporary, path)
    return path, True


def read_signing_key(agency_slug: str) -> SigningKey:
    """The agency's signing key; a ConfigError says what is wrong and what to do (never a traceback)."""
    path = signing_key_path(agency_slug)
    if path.is_symlink():
        raise ConfigError(str(path), "", "the signing key is a link: keep the key file itself there (mode 600)")
    if not path.exists():
        raise ConfigError(str(path), "", f"no signing key for agency '{agency_slug}': run `transparency keygen --agency "
                          f"{agency_slug}` (keys live outside the repository; set TRANSPARENCY_KEYS_DIR to choose "
                          "where), then publish its public key (the index shows it)")
    if path.is_dir():
        raise ConfigError(str(path), "", "the signing key path is a folder, not a key file")
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(str(path), "", "the signing key can be read by other users: `chmod 600` it (and consider "
                          "it exposed: anyone who read it can sign releases as the agency)")
    try:
        text = path.read_bytes().decode("ascii").strip()
        seed = bytes.fromhex(text)
    except (OSError, UnicodeDecodeError, ValueError):
        raise ConfigError(str(path), "", "the signing key is not 64 hex digits: restore it from its backup") from None
    if len(seed) != 32 or not any(seed):
        raise ConfigError(str(path), "", "the signing key is not 64 hex digits of a real key: restore it from its backup")
    return SigningKey(seed)
