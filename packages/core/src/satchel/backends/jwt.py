"""``jwt``: the data as JWT claims that other services can verify (signed, not encrypted)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from satchel.backends._codec import b64decode, b64encode
from satchel.backends._sealed import SealedBackend
from satchel.errors import BadCookie
from satchel.keys import Keyring
from satchel.records import CLOCK_SKEW, Lifetime, Record
from satchel.serializers import JSONSerializer
from satchel.settings import JWTAlgorithm, SessionSettings

if TYPE_CHECKING:
    from satchel.protocols import Serializer

RESERVED_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "orig_iat"})
"""Claims the token itself uses; session keys with these names are namespaced."""

_REQUIRED = ("iss", "aud", "exp", "nbf", "iat", "orig_iat")
_NEVER_WRITTEN = ("sub", "jti")  # a token carrying one was minted by something else
_HMAC_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}


def _claim(key: str) -> str:
    return "_" + key if key in RESERVED_CLAIMS or key.startswith("_") else key


def _session_key(claim: str) -> str:
    return claim[1:] if claim.startswith("_") else claim


class JWTBackend(SealedBackend):
    """A JWS whose claims are the session's keys plus iss, aud, iat, nbf, exp, orig_iat.

    The algorithm is pinned: a token whose header names any other (``none``, or
    HS256 where EdDSA is configured) is refused before any signature check, and
    the ``kid`` header picks among configured keys only; a ``crit`` header is
    refused, as no extension is supported. Session keys that collide with
    registered claims (``exp``, ``sub``, ``aud``...) or start with ``_`` are
    stored with a ``_`` prefix, so no application data can break the token's own
    checks. ``aud`` is the cookie name. Anyone holding the cookie can read it:
    keep secrets out.

    Signing and verifying are PyJWT's algorithm objects; the compact framing
    around them (strict base64url, JSON header and claims) is done here, because
    PyJWT's own decoder checks base64 one character at a time in Python and
    would make every request pay for it twice over. Tokens are standard JWTs:
    ``jwt.decode`` with the key from ``satchel verify-key`` accepts them.
    """

    __slots__ = (
        "_algorithm",
        "_audience",
        "_current",
        "_current_header",
        "_headers",
        "_issuer",
        "_lifetime",
        "_serializer",
        "_signer",
        "_signing",
        "_verifying",
    )

    def __init__(
        self,
        keyring: Keyring,
        lifetime: Lifetime,
        *,
        cookie_name: str = "session",
        algorithm: JWTAlgorithm = "HS256",
        issuer: str = "satchel",
        serializer: Serializer | None = None,
    ) -> None:
        from jwt.algorithms import get_default_algorithms

        self._signer = get_default_algorithms()[algorithm]
        self._algorithm = algorithm
        self._audience = cookie_name
        self._issuer = issuer
        self._lifetime = lifetime
        self._serializer = serializer or JSONSerializer()
        length = _HMAC_BYTES.get(algorithm, 48)
        derived = keyring.derive(f"jwt/v1/{cookie_name}/{algorithm}", length)
        self._signing: dict[str, Any] = {}
        self._verifying: dict[str, Any] = {}
        self._headers: dict[str, str] = {}
        for key in derived:
            kid = b64encode(key.kid)
            signing = _private_key(algorithm, key.key)
            self._signing[kid] = signing
            self._verifying[kid] = signing if algorithm in _HMAC_BYTES else signing.public_key()
            header = {"alg": algorithm, "kid": kid, "typ": "JWT"}
            self._headers[b64encode(json.dumps(header, separators=(",", ":")).encode())] = kid
        self._current = b64encode(derived[0].kid)
        self._current_header = next(h for h, k in self._headers.items() if k == self._current)

    @classmethod
    def from_settings(
        cls, settings: SessionSettings, serializer: Serializer | None = None
    ) -> JWTBackend:
        """The backend the settings describe."""
        return cls(
            Keyring.from_secrets(settings.secret_key, settings.secret_key_fallbacks),
            Lifetime.from_settings(settings),
            cookie_name=settings.cookie_name,
            algorithm=settings.jwt_algorithm,
            issuer=settings.jwt_issuer,
            serializer=serializer,
        )

    def verification_key(self) -> str:
        """What another service needs to verify these tokens: the PEM public key for
        EdDSA and ES256, the (secret) derived HMAC key, base64url, for HS*."""
        key = self._verifying[self._current]
        if isinstance(key, bytes):
            return b64encode(key)
        from cryptography.hazmat.primitives import serialization

        pem: bytes = key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return pem.decode("ascii")

    def seal(self, record: Record) -> str:
        """Sign the session's data as claims, with its times as registered claims."""
        data = record.data if record.data is not None else self._serializer.loads(record.payload)
        claims = {_claim(k): v for k, v in data.items()}
        claims.update(
            iss=self._issuer,
            aud=self._audience,
            iat=record.issued,
            nbf=record.issued,
            exp=self._lifetime.expires_at(record.created, record.issued),
            orig_iat=record.created,
        )
        body = b64encode(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = f"{self._current_header}.{body}"
        signature = self._signer.sign(signing_input.encode(), self._signing[self._current])
        if self._algorithm == "ES256":
            signature = _low_s(signature)
        return f"{signing_input}.{b64encode(signature)}"

    def unseal(self, value: str, now: int) -> Record:
        """Check the header, then the signature, then issuer, audience and times."""
        header, body, signature = _parts(value)
        kid = self._headers.get(header)  # one of ours, byte for byte: nothing to parse
        if kid is None:
            kid = self._foreign_header(header)
        raw = b64decode(signature)
        if self._algorithm == "ES256" and _low_s(raw) != raw:
            raise BadCookie("ES256 signature not in low-S form")  # (r, n - s) of a valid one
        try:
            valid = self._signer.verify(f"{header}.{body}".encode(), self._verifying[kid], raw)
        except (ValueError, TypeError):  # e.g. an EC signature of the wrong length
            valid = False
        if not valid:
            raise BadCookie("bad JWT signature")
        try:
            claims = json.loads(b64decode(body))
        except (ValueError, RecursionError):
            raise BadCookie("JWT claims are not JSON") from None
        if not isinstance(claims, dict):
            raise BadCookie("JWT claims are not an object")
        if any(name not in claims for name in _REQUIRED):
            raise BadCookie("a required JWT claim is missing")
        if any(name in claims for name in _NEVER_WRITTEN):
            raise BadCookie("JWT carries a claim satchel never writes")
        if claims["iss"] != self._issuer or claims["aud"] != self._audience:
            raise BadCookie("JWT issued by or for someone else")
        times = [claims[name] for name in ("orig_iat", "iat", "nbf", "exp")]
        if not all(type(t) is int for t in times):
            raise BadCookie("JWT times are not integers")
        created, issued, not_before, expires = times
        if not_before > now + CLOCK_SKEW or now >= expires:
            raise BadCookie("JWT expired or not yet valid")
        self._lifetime.check(created, issued, now)
        data = {_session_key(k): v for k, v in claims.items() if k not in RESERVED_CLAIMS}
        return Record(self._serializer.dumps(data), created, issued, data=data)

    def _foreign_header(self, segment: str) -> str:
        """The key id of a header satchel did not write itself, if it is acceptable."""
        if len(segment) > _MAX_HEADER:  # unauthenticated: capped before it is parsed
            raise BadCookie("JWT header too long")
        try:
            header = json.loads(b64decode(segment))
        except (ValueError, RecursionError):
            raise BadCookie("malformed JWT header") from None
        if not isinstance(header, dict) or header.get("alg") != self._algorithm:
            raise BadCookie("JWT algorithm is not the configured one")
        if "crit" in header:
            raise BadCookie("JWT header lists critical extensions")
        kid = header.get("kid")
        if not isinstance(kid, str) or kid not in self._verifying:
            raise BadCookie("signed with an unknown key")
        return kid


_MAX_HEADER = 256
"""The longest JWT header segment parsed (satchel's own are under 100 characters)."""

_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _low_s(signature: bytes) -> bytes:
    """An ES256 signature (r || s) in its low-S form: ``(r, s)`` and ``(r, n - s)`` both
    verify, and only the one with ``s <= n / 2`` is written or accepted, so one session
    has one token string."""
    if len(signature) != 64:
        return signature  # refused by the verifier
    s = int.from_bytes(signature[32:], "big")
    if s <= _P256_ORDER // 2:
        return signature
    return signature[:32] + (_P256_ORDER - s).to_bytes(32, "big")


def _parts(token: str) -> list[str]:
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise BadCookie("not a JWT")
    return parts


def _private_key(algorithm: JWTAlgorithm, material: bytes) -> Any:
    """The signing key for *algorithm*, deterministically from derived key material."""
    if algorithm in _HMAC_BYTES:
        return material
    if algorithm == "EdDSA":
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return Ed25519PrivateKey.from_private_bytes(material[:32])
    from cryptography.hazmat.primitives.asymmetric import ec

    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # P-256 n
    scalar = int.from_bytes(material, "big") % (order - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())
