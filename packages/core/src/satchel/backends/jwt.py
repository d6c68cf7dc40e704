"""``jwt``: the data as JWT claims that other services can verify (signed, not encrypted)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from satchel.backends._codec import b64encode
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

_REQUIRED = ["iss", "aud", "exp", "nbf", "iat", "orig_iat"]
_HMAC_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}


def _claim(key: str) -> str:
    return "_" + key if key in RESERVED_CLAIMS or key.startswith("_") else key


def _session_key(claim: str) -> str:
    return claim[1:] if claim.startswith("_") else claim


class JWTBackend(SealedBackend):
    """A JWS whose claims are the session's keys plus iss, aud, iat, nbf, exp, orig_iat.

    The algorithm is pinned on decode, so ``alg=none`` and HS/RS confusion are
    refused whatever the header says; the ``kid`` header picks among configured
    keys only. Session keys that collide with registered claims (``exp``,
    ``sub``, ``aud``...) or start with ``_`` are stored with a ``_`` prefix, so
    no application data can break the token's own checks. ``aud`` is the
    cookie name. Anyone holding the cookie can read it: keep secrets out.
    """

    __slots__ = (
        "_algorithm",
        "_audience",
        "_current",
        "_issuer",
        "_jwt",
        "_lifetime",
        "_serializer",
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
        import jwt

        self._jwt = jwt.PyJWT(
            {
                "require": _REQUIRED,
                "verify_exp": False,  # checked against the engine's clock below
                "verify_nbf": False,
                "verify_iat": False,
            }
        )
        self._algorithm = algorithm
        self._audience = cookie_name
        self._issuer = issuer
        self._lifetime = lifetime
        self._serializer = serializer or JSONSerializer()
        length = _HMAC_BYTES.get(algorithm, 48)
        derived = keyring.derive(f"jwt/v1/{cookie_name}/{algorithm}", length)
        self._signing: dict[str, Any] = {}
        self._verifying: dict[str, Any] = {}
        for key in derived:
            kid = b64encode(key.kid)
            signing = _private_key(algorithm, key.key)
            self._signing[kid] = signing
            self._verifying[kid] = signing if algorithm in _HMAC_BYTES else signing.public_key()
        self._current = b64encode(derived[0].kid)

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
        claims = {_claim(k): v for k, v in self._serializer.loads(record.payload).items()}
        claims.update(
            iss=self._issuer,
            aud=self._audience,
            iat=record.issued,
            nbf=record.issued,
            exp=self._lifetime.expires_at(record.created, record.issued),
            orig_iat=record.created,
        )
        return self._jwt.encode(
            claims,
            self._signing[self._current],
            algorithm=self._algorithm,
            headers={"kid": self._current},
        )

    def unseal(self, value: str, now: int) -> Record:
        """Verify signature, algorithm, issuer and audience, then the times."""
        import jwt

        try:
            kid = jwt.get_unverified_header(value).get("kid")
            key = self._verifying.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise BadCookie("signed with an unknown key")
            claims = self._jwt.decode(
                value,
                key,
                algorithms=[self._algorithm],
                audience=self._audience,
                issuer=self._issuer,
            )
        except jwt.PyJWTError as exc:
            raise BadCookie(f"invalid JWT ({type(exc).__name__})") from None
        times = [claims[name] for name in ("orig_iat", "iat", "nbf", "exp")]
        if not all(type(t) is int for t in times):
            raise BadCookie("JWT times are not integers")
        created, issued, not_before, expires = times
        if not_before > now + CLOCK_SKEW or now >= expires:
            raise BadCookie("JWT expired or not yet valid")
        self._lifetime.check(created, issued, now)
        data = {_session_key(k): v for k, v in claims.items() if k not in RESERVED_CLAIMS}
        return Record(self._serializer.dumps(data), created, issued)


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
