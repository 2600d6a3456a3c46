"""Encryption at rest: a keyring of AES-256-GCM keys and the SQLAlchemy column types that use it.

A stored value reads `v1:<key id>:<base64(nonce + ciphertext + tag)>`: a fresh 96-bit nonce per
value, the id of the key that sealed it, and the table and column bound in as associated data,
so a value copied into another column does not decrypt. Rows cannot be bound in: a column type
never sees its row, and autoincrement ids do not exist before the INSERT.

The keyring travels with the engine (`bind`), not in a global: each Database has its own, so a
test or `ypsi keys rotate` can hold an old and a new keyring side by side.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import string
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Engine, Text, TypeDecorator
from sqlalchemy.engine import Dialect

from conversations.errors import ConfigError

SETTING = "YPSI_ENCRYPTION_KEYS"
VERSION = "v1"
NONCE_BYTES = 12
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


class DecryptionError(ConfigError):
    """A stored value cannot be opened: its key is not configured, or the key is wrong."""


@dataclass(frozen=True)
class Keyring:
    """Keys by id; the first is current (seals new values), the others only open old ones."""

    current: str
    keys: dict[str, bytes]
    # MAC keys derived from `keys`, by (key id, purpose): derived once, not per event.
    _derived: dict[tuple[str, str], bytes] = field(default_factory=dict, compare=False, repr=False)
    # AES-GCM objects by key id: building one costs ~1 ms of key setup; they are thread-safe.
    _ciphers: dict[str, AESGCM] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def parse(cls, value: str) -> Keyring:
        """`kid:base64key,kid:base64key,…` → a keyring; any problem is a one-line ConfigError."""
        keys: dict[str, bytes] = {}
        for item in filter(None, (part.strip() for part in value.split(","))):
            kid, sep, encoded = item.partition(":")
            if not sep or not KEY_ID.match(kid):
                raise ConfigError(f"{SETTING}: each key is `id:base64key`; run `ypsi keys new` for one")
            if kid in keys:
                raise ConfigError(f"{SETTING}: key id '{kid}' appears twice; every key needs its own id")
            keys[kid] = _decode_key(kid, encoded)
        if not keys:
            raise ConfigError(f"{SETTING} is empty: run `ypsi keys new` and put its line in .env")
        return cls(current=next(iter(keys)), keys=keys)

    def seal(self, plaintext: bytes, purpose: str) -> str:
        """Encrypt with the current key; `purpose` (table.column) is authenticated, not stored."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._cipher(self.current).encrypt(nonce, plaintext, _aad(self.current, purpose))
        return f"{VERSION}:{self.current}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, token: str, purpose: str) -> bytes:
        """Decrypt a sealed value; a missing or wrong key is a DecryptionError naming the key id."""
        _, kid, body = _split(token)
        self.require(kid)
        raw = _decode_body(body)
        try:
            return self._cipher(kid).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(kid, purpose))
        except InvalidTag:
            raise DecryptionError(
                f"{SETTING}: key '{kid}' does not open the stored data (wrong key, or the value was altered)"
            ) from None

    def _cipher(self, kid: str) -> AESGCM:
        cipher = self._ciphers.get(kid)
        if cipher is None:
            cipher = self._ciphers[kid] = AESGCM(self.keys[kid])
        return cipher

    def require(self, kid: str) -> None:
        """A DecryptionError unless key `kid` is configured."""
        if kid not in self.keys:
            raise DecryptionError(
                f"{SETTING} lacks key '{kid}', which encrypted stored data: add it back after the current key"
            )

    def key_id(self, token: str) -> str:
        """The id of the key that sealed `token`."""
        return _split(token)[1]

    @staticmethod
    def form_problem(token: str) -> str | None:
        """What is wrong with the form of a sealed value (without opening it), or None."""
        version, _, rest = token.partition(":")
        kid, _, body = rest.partition(":")
        if version != VERSION or not KEY_ID.match(kid) or not body:
            return f"is not a sealed value ({VERSION}:<key id>:<base64>)"
        try:
            _decode_body(body)
        except DecryptionError as exc:
            return str(exc).removeprefix("a stored value ")
        return None

    def mac(self, kid: str, purpose: str, message: bytes) -> str:
        """HMAC-SHA256 (hex) of `message` under a key derived from key `kid` for `purpose`.

        The MAC key is derived (HKDF), never the encryption key itself, so a MAC reveals
        nothing about the key that seals values, and each purpose has a key of its own.
        """
        self.require(kid)
        if (kid, purpose) not in self._derived:
            hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"ypsi {purpose}".encode())
            self._derived[(kid, purpose)] = hkdf.derive(self.keys[kid])
        return hmac.new(self._derived[(kid, purpose)], message, hashlib.sha256).hexdigest()

    def line(self) -> str:
        """The keyring in the form YPSI_ENCRYPTION_KEYS takes."""
        return ",".join(f"{kid}:{base64.b64encode(key).decode()}" for kid, key in self.keys.items())


def new_key(kid: str) -> str:
    """A fresh random 256-bit key as `kid:base64key`."""
    if not KEY_ID.match(kid):
        raise ConfigError("a key id is 1-16 letters, digits, - or _")
    return f"{kid}:{base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()}"


def unused_id(wanted: str, taken: Iterable[str]) -> str:
    """`wanted`, or `wanted` with the first free letter after it (k20261129b, …): ids never repeat."""
    taken = set(taken)
    for suffix in ("", *string.ascii_lowercase):
        if wanted + suffix not in taken:
            return wanted + suffix
    raise ConfigError(f"key ids {wanted}, {wanted}a … {wanted}z are all in use: choose one with --id")


def _decode_key(kid: str, encoded: str) -> bytes:
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise ConfigError(f"{SETTING}: key '{kid}' is not 32 bytes of base64; run `ypsi keys new` for one")
    return key


def _split(token: str) -> tuple[str, str, str]:
    version, _, rest = token.partition(":")
    kid, _, body = rest.partition(":")
    if version != VERSION or not kid or not body:
        raise DecryptionError(f"{SETTING}: a stored value is not encrypted (was the database migrated?)")
    return version, kid, body


def _decode_body(body: str) -> bytes:
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionError("a stored value is not valid base64 (it was altered)") from None
    if len(raw) <= NONCE_BYTES + 16:
        raise DecryptionError("a stored value is too short to be sealed (it was altered)")
    return raw


def _aad(kid: str, purpose: str) -> bytes:
    return f"{VERSION}|{kid}|{purpose}".encode()


# The keyring of each engine, found through the dialect the column types are handed.
_KEYRINGS: weakref.WeakKeyDictionary[Dialect, Keyring] = weakref.WeakKeyDictionary()


def bind(engine: Engine, keyring: Keyring) -> None:
    """Make `keyring` the one the encrypted columns use on `engine`."""
    _KEYRINGS[engine.dialect] = keyring


def keyring_of(dialect: Dialect) -> Keyring:
    """The keyring bound to the engine of `dialect`."""
    try:
        return _KEYRINGS[dialect]
    except KeyError:
        raise ConfigError(f"{SETTING} is not set: run `ypsi keys new` and put its line in .env") from None


class EncryptedText(TypeDecorator[str]):
    """A text column stored sealed; `purpose` is its `table.column`, bound in as associated data."""

    impl = Text
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring_of(dialect).seal(value.encode(), self.purpose)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring_of(dialect).open(value, self.purpose).decode()


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document stored sealed as one value (answers hold identifiers and the account)."""

    impl = Text
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        plain = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return keyring_of(dialect).seal(plain.encode(), self.purpose)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return json.loads(keyring_of(dialect).open(value, self.purpose))
