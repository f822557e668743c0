"""Shard keys: derived from the owner's key, sent to a shard's node only wrapped.

Each shard is a memory store of its own, encrypted with its own 256-bit key::

    shard key = HKDF-SHA256(ikm = owner secret, salt = memory id, info = "lifelog shard <n>")

(RFC 5869). The owner secret is the memory's raw key (a key-file memory) or, for a
passphrase memory, scrypt of the passphrase (RFC 7914) salted with the memory id. It
never leaves the owner's process. A shard key never travels in plaintext either: Ray's
object store and its gRPC channels are not encrypted on their own, so the key is
*wrapped* for the one process that holds the shard (ECIES):

1. the shard's actor makes an X25519 key pair when it starts and keeps the private half
   in its memory only (a restarted actor makes a new one);
2. the owner makes an ephemeral X25519 pair, agrees a secret with the actor's public key,
   derives a wrapping key from it with HKDF (bound to both public keys and the shard),
   and seals the shard key with AES-256-GCM;
3. the actor opens the seal and opens its store with the key; nothing is written to disk.

Whoever reads the object store sees public keys and a sealed box. This is no defence
against someone who can run code on the cluster (Ray runs whatever its members submit:
a Ray cluster must be reachable only by its owner, see docs/scale.md).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["Unwrapper", "WrappedKey", "owner_secret", "shard_key", "wrap_key"]

#: scrypt's cost for a passphrase (the store's own key derivation runs on top of it)
SCRYPT_N = 2**15
_RAW = serialization.Encoding.Raw
_RAW_PUBLIC = serialization.PublicFormat.Raw


def hkdf(ikm: bytes, salt: bytes, info: bytes, length: int = 32) -> bytes:
    """HKDF-SHA256 (RFC 5869): extract, then expand to ``length`` bytes."""
    prk = hmac.new(salt or bytes(32), ikm, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def owner_secret(*, raw_key: str | None, passphrase: str | None, memory_id: str) -> bytes:
    """The secret every shard key is derived from (never sent anywhere)."""
    if raw_key:
        return bytes.fromhex(raw_key)
    if passphrase:
        salt = b"lifelog distributed " + memory_id.encode()
        return hashlib.scrypt(
            passphrase.encode(), salt=salt, n=SCRYPT_N, r=8, p=1, maxmem=64 * 2**20, dklen=32
        )
    raise ValueError("a distributed memory must be encrypted (a key file or a passphrase)")


def shard_key(secret: bytes, memory_id: str, shard: int) -> str:
    """The raw SQLCipher key (64 hex digits) of shard ``shard``."""
    return hkdf(secret, memory_id.encode(), f"lifelog shard {shard}".encode()).hex()


@dataclass(frozen=True, slots=True)
class WrappedKey:
    """A shard key sealed for one actor: what travels through the cluster."""

    shard: int
    ephemeral: bytes  # the owner's one-time X25519 public key
    nonce: bytes
    sealed: bytes  # AES-256-GCM ciphertext and tag

    def __repr__(self) -> str:
        return f"WrappedKey(shard={self.shard}, {len(self.sealed)} sealed bytes)"


def _wrapping_key(shared: bytes, ephemeral: bytes, recipient: bytes, shard: int) -> bytes:
    info = b"lifelog shard key wrap " + str(shard).encode() + ephemeral + recipient
    return hkdf(shared, b"", info)


def wrap_key(key_hex: str, recipient: bytes, shard: int) -> WrappedKey:
    """Seal ``key_hex`` for the holder of the X25519 private key behind ``recipient``."""
    mine = X25519PrivateKey.generate()
    ephemeral = mine.public_key().public_bytes(_RAW, _RAW_PUBLIC)
    shared = mine.exchange(X25519PublicKey.from_public_bytes(recipient))
    nonce = os.urandom(12)
    aad = f"shard {shard}".encode()
    sealed = AESGCM(_wrapping_key(shared, ephemeral, recipient, shard)).encrypt(
        nonce, bytes.fromhex(key_hex), aad
    )
    return WrappedKey(shard, ephemeral, nonce, sealed)


class Unwrapper:
    """The receiving half: an X25519 key pair that lives in one process's memory."""

    def __init__(self) -> None:
        self._private = X25519PrivateKey.generate()
        self.public = self._private.public_key().public_bytes(_RAW, _RAW_PUBLIC)

    def __repr__(self) -> str:
        return f"Unwrapper(public={self.public.hex()[:16]}…)"

    def unwrap(self, wrapped: WrappedKey) -> str:
        """The shard key (hex); ``cryptography.exceptions.InvalidTag`` when it was not
        sealed for this key pair or was altered on the way."""
        shared = self._private.exchange(X25519PublicKey.from_public_bytes(wrapped.ephemeral))
        key = _wrapping_key(shared, wrapped.ephemeral, self.public, wrapped.shard)
        aad = f"shard {wrapped.shard}".encode()
        return AESGCM(key).decrypt(wrapped.nonce, wrapped.sealed, aad).hex()
