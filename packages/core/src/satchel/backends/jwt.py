"""``jwt``: the data as JWT claims that other services can verify (signed, not encrypted)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from satchel.backends._codec import KeyedHMAC, b64decode, b64encode
from satchel.backends._sealed import SealedBackend
from satchel.errors import BadCookie
from satchel.keys import Keyring
from satchel.records import CLOCK_SKEW, Lifetime, Record
from satchel.serializers import JSONSerializer, OrjsonSerializer
from satchel.settings import JWTAlgorithm, SessionSettings

if TYPE_CHECKING:
    from satchel.protocols import Serializer

RESERVED_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "orig_iat"})
"""Claims the token itself uses; session keys with these names are namespaced."""

_REQUIRED = frozenset(("iss", "aud", "exp", "nbf", "iat", "orig_iat"))
_NEVER_WRITTEN = frozenset(("sub", "jti"))  # a token carrying one was minted by something else
_HMAC_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}
_COMPACT = json.JSONEncoder(separators=(",", ":"))  # what json.dumps would build per call
_DECODER = json.JSONDecoder()


def _json(text: str) -> Any:
    """`json.loads` of *text*: compact JSON (no white space around the value) skips the
    white-space matching of `json.loads`, which costs more than parsing a session."""
    if text[:1] != "{" or text[-1:] != "}":
        return json.loads(text)
    value, end = _DECODER.raw_decode(text)
    if end != len(text):
        raise ValueError("extra data after the JSON value")
    return value


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

    HS256/384/512 are HMAC keyed once at start-up; EdDSA and ES256 are PyJWT's
    algorithm objects. The compact framing around them (strict base64url, JSON
    header and claims) is done here, because PyJWT's own decoder checks base64 one
    character at a time in Python and would make every request pay for it twice
    over. Tokens are standard JWTs: ``jwt.decode`` with the key from ``satchel
    verify-key`` accepts them.
    """

    __slots__ = (
        "_algorithm",
        "_audience",
        "_current",
        "_current_header",
        "_headers",
        "_issuer",
        "_lifetime",
        "_registered",
        "_serializer",
        "_sign",
        "_verifiers",
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

        signer = get_default_algorithms()[algorithm]
        self._algorithm = algorithm
        self._audience = cookie_name
        self._issuer = issuer
        self._lifetime = lifetime
        self._serializer = serializer or JSONSerializer()
        # The built-in serializers write compact JSON objects: the claims are written
        # with them (a value only orjson can write, a UUID, is one it can write here).
        self._registered = (
            f'"iss":{_COMPACT.encode(issuer)},"aud":{_COMPACT.encode(cookie_name)},"iat":'.encode()
            if type(self._serializer) in (JSONSerializer, OrjsonSerializer)
            else None
        )
        length = _HMAC_BYTES.get(algorithm, 48)
        derived = keyring.derive(f"jwt/v1/{cookie_name}/{algorithm}", length)
        self._verifying: dict[str, Any] = {}
        self._verifiers: dict[str, Callable[[bytes, bytes], bool]] = {}
        self._headers: dict[str, str] = {}
        signs: list[Callable[[bytes], bytes]] = []
        for key in derived:
            kid = b64encode(key.kid)
            signing = _private_key(algorithm, key.key)
            if algorithm in _HMAC_BYTES:
                mac = KeyedHMAC(signing, "sha" + algorithm[2:])
                self._verifying[kid] = signing
                signs.append(mac.digest)
                self._verifiers[kid] = mac.verify
            else:
                self._verifying[kid] = signing.public_key()
                signs.append(_signs(signer, signing, low_s=algorithm == "ES256"))
                self._verifiers[kid] = _verifies(signer, self._verifying[kid])
            header = {"alg": algorithm, "kid": kid, "typ": "JWT"}
            self._headers[b64encode(_COMPACT.encode(header).encode())] = kid
        self._sign = signs[0]
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
        payload = record.payload
        data = record.data if record.data is not None else self._serializer.loads(payload)
        created, issued = record.created, record.issued
        expires = self._lifetime.expires_at(created, issued)
        registered = self._registered
        if (
            registered is not None
            and payload[-1:] == b"}"
            and b'"_' not in payload
            and RESERVED_CLAIMS.isdisjoint(data)
        ):
            # No key to rename: the serializer's JSON is the claims but the registered
            # ones, which follow it as they would in the dict below, to the byte.
            times = f'{issued},"nbf":{issued},"exp":{expires},"orig_iat":{created}}}'.encode()
            comma = b"" if payload == b"{}" else b","
            claims = payload[:-1] + comma + registered + times
        else:
            named = {
                ("_" + k if k in RESERVED_CLAIMS or k[:1] == "_" else k): v for k, v in data.items()
            }
            named["iss"] = self._issuer
            named["aud"] = self._audience
            named["iat"] = named["nbf"] = issued
            named["exp"] = expires
            named["orig_iat"] = created
            if registered is not None:
                claims = self._serializer.dumps(named)
            else:
                claims = _COMPACT.encode(named).encode()
        signing_input = f"{self._current_header}.{b64encode(claims)}"
        return f"{signing_input}.{b64encode(self._sign(signing_input.encode()))}"

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
            valid = self._verifiers[kid](f"{header}.{body}".encode(), raw)
        except (ValueError, TypeError):  # e.g. an EC signature of the wrong length
            valid = False
        if not valid:
            raise BadCookie("bad JWT signature")
        try:
            claims = _json(b64decode(body).decode())
        except (ValueError, RecursionError):
            raise BadCookie("JWT claims are not JSON") from None
        if type(claims) is not dict:
            raise BadCookie("JWT claims are not an object")
        if not claims.keys() >= _REQUIRED:
            raise BadCookie("a required JWT claim is missing")
        if not claims.keys().isdisjoint(_NEVER_WRITTEN):
            raise BadCookie("JWT carries a claim satchel never writes")
        if claims["iss"] != self._issuer or claims["aud"] != self._audience:
            raise BadCookie("JWT issued by or for someone else")
        created, issued = claims["orig_iat"], claims["iat"]
        not_before, expires = claims["nbf"], claims["exp"]
        if not (type(created) is type(issued) is type(not_before) is type(expires) is int):
            raise BadCookie("JWT times are not integers")
        if not_before > now + CLOCK_SKEW or now >= expires:
            raise BadCookie("JWT expired or not yet valid")
        self._lifetime.check(created, issued, now)
        data = {
            (k[1:] if k[:1] == "_" else k): v for k, v in claims.items() if k not in RESERVED_CLAIMS
        }
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


def _signs(signer: Any, key: Any, *, low_s: bool) -> Callable[[bytes], bytes]:
    """Signing with PyJWT's algorithm object *signer* under *key* (ES256 in low-S form)."""

    def sign(message: bytes) -> bytes:
        signature: bytes = signer.sign(message, key)
        return _low_s(signature) if low_s else signature

    return sign


def _verifies(signer: Any, key: Any) -> Callable[[bytes, bytes], bool]:
    """Verifying with PyJWT's algorithm object *signer* under *key*."""

    def verify(message: bytes, signature: bytes) -> bool:
        return bool(signer.verify(message, key, signature))

    return verify


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
