"""Pseudonymisation keys: one secret per agency, kept outside the repository and outside data/."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigError

if TYPE_CHECKING:  # pandas is imported where it is used: the quick paths of the command line do without it
    import pandas as pd


def keys_dir() -> Path:
    """Where agency keys live: ``$TRANSPARENCY_KEYS_DIR``, else ``~/.config/transparency/keys``."""
    configured = os.environ.get("TRANSPARENCY_KEYS_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "transparency" / "keys"


def key_path(agency_slug: str) -> Path:
    return keys_dir() / f"{agency_slug}.key"


def create_key(agency_slug: str, overwrite: bool = False) -> Path:
    """Write a new random 256-bit key for the agency (mode 600); refuses to replace an existing key."""
    path = key_path(agency_slug)
    _not_a_folder(path)
    if path.exists() and not overwrite:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(secrets.token_hex(32) + "\n", encoding="ascii")
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return path


def read_key(agency_slug: str) -> bytes:
    """The agency's key; a ConfigError says how to create one when it is missing."""
    path = key_path(agency_slug)
    if not path.exists():
        raise ConfigError(
            str(path), "",
            f"no pseudonymisation key for agency '{agency_slug}': run `transparency keygen --agency {agency_slug}` "
            "(keys live outside the repository; set TRANSPARENCY_KEYS_DIR to choose where)",
        )
    _not_a_folder(path)
    check_key_file(path)
    text = _key_text(path)
    if len(text) < 32:
        raise ConfigError(str(path), "", "the key is too short (expected 64 hex digits)")
    return text.encode("ascii")


def check_key_file(path: Path) -> None:
    """Refuse a key file that is a link (it could point anywhere, and be swapped), that others may read, or
    whose key is all zeros (a placeholder, not a secret)."""
    import stat

    if path.is_symlink():
        raise ConfigError(str(path), "", "the key file is a link: keep the key itself there (a file of mode 600)")
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(str(path), "", f"the key file may be read or changed by other users (mode {stat.S_IMODE(mode):o}): "
                          f"run `chmod 600 {path}`")
    data = path.read_bytes().strip()
    if data and not data.strip(b"0\x00"):
        raise ConfigError(str(path), "", "the key is all zeros, not a secret: create one with `transparency keygen`")


def _not_a_folder(path: Path) -> None:
    if path.is_dir():
        raise ConfigError(str(path), "", "the key path is a folder, not a key file: remove the folder and run "
                          "`transparency keygen`, or set TRANSPARENCY_KEYS_DIR to the folder that holds the keys")


def _key_text(path: Path) -> str:
    """A key file's text; a ConfigError (never a traceback) when it is a folder, unreadable or not plain hex."""
    _not_a_folder(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), "", f"the key file cannot be read ({exc.strerror})") from None
    try:
        return data.decode("ascii").strip()
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), "", f"the key file holds a byte that is not ASCII (byte {exc.start}): a key is "
                          "64 hex digits; restore it from its backup (a new key changes every pseudonym)") from None


def fingerprint(key: bytes) -> str:
    """A short public fingerprint of a key, for cache keys and the manifest (never the key itself)."""
    return hashlib.sha256(b"fingerprint:" + key).hexdigest()[:12]


def pseudonymise(values: pd.Series, key: bytes) -> pd.Series:
    """Replace identifiers by ``HMAC-SHA256(key, value)`` (16 hex digits); missing stays missing.

    Values are compared after trimming and upper-casing, so ``" 4521"`` and ``"4521"`` get one pseudonym.
    """
    import pandas as pd

    normalised = values.astype("string").str.strip().str.upper()
    uniques = normalised.dropna().unique()
    mapping = {
        value: hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:16] for value in uniques
    }
    out = normalised.map(mapping)
    out[normalised.isna() | (normalised == "")] = pd.NA
    return out.astype("string")


__all__ = ["keys_dir", "key_path", "create_key", "read_key", "fingerprint", "pseudonymise"]
