"""Every cookie backend: round trip, refusal of anything forged, expiry inside the token."""

from __future__ import annotations

import base64
import hmac
import json
import logging
import time
from typing import Any

import jwt
import pytest
from support import COOKIE_BACKENDS, OTHER_SECRET, SECRET, START, make_settings

from satchel import (
    AESGCMBackend,
    BadCookie,
    CookieBackend,
    FernetBackend,
    JWTBackend,
    SessionManager,
    SignedBackend,
)
from satchel.backends import Keyring, Lifetime, Record, build_backend

KEYED = [b for b in COOKIE_BACKENDS if b != "base64"]


def _backend(name: str, **options: Any) -> CookieBackend:
    backend = build_backend(make_settings(backend=name, **options))
    assert isinstance(backend, CookieBackend)
    return backend


def _record(payload: bytes = b'{"user_id":7,"cart":[1,2]}', created: int = START) -> Record:
    return Record(payload, created, created)


@pytest.mark.parametrize("name", COOKIE_BACKENDS)
def test_sealed_record_unseals_to_the_same_data_and_times(name: str) -> None:
    backend = _backend(name)
    record = Record(b'{"a":[1,{"b":"\\u00e9"}]}', START - 100, START - 10)
    value = backend.seal(record)
    assert backend.unseal(value, START) == record


@pytest.mark.parametrize("name", COOKIE_BACKENDS)
def test_cookie_values_use_only_cookie_safe_characters(name: str) -> None:
    value = _backend(name).seal(_record())
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=")
    assert set(value) <= allowed


@pytest.mark.parametrize("name", COOKIE_BACKENDS)
def test_token_past_max_age_is_refused_however_the_browser_kept_it(name: str) -> None:
    backend = _backend(name, max_age=100)
    value = backend.seal(_record())
    assert backend.unseal(value, START + 99).payload
    with pytest.raises(BadCookie):
        backend.unseal(value, START + 100)


@pytest.mark.parametrize("name", COOKIE_BACKENDS)
def test_token_idle_longer_than_idle_timeout_is_refused(name: str) -> None:
    backend = _backend(name, idle_timeout=300, max_age=3600)
    value = backend.seal(Record(b"{}", START, START + 1000))
    backend.unseal(value, START + 1299)
    with pytest.raises(BadCookie):
        backend.unseal(value, START + 1300)


@pytest.mark.parametrize("name", COOKIE_BACKENDS)
def test_token_from_the_future_is_refused(name: str) -> None:
    backend = _backend(name)
    value = backend.seal(_record(created=START + 3600))
    with pytest.raises(BadCookie):
        backend.unseal(value, START)


@pytest.mark.parametrize("name", KEYED)
def test_token_under_another_secret_is_refused(name: str) -> None:
    value = _backend(name, secret_key=OTHER_SECRET).seal(_record())
    with pytest.raises(BadCookie):
        _backend(name).unseal(value, START)


@pytest.mark.parametrize("name", KEYED)
def test_token_moved_to_another_cookie_name_is_refused(name: str) -> None:
    value = _backend(name, cookie_name="admin").seal(_record())
    with pytest.raises(BadCookie):
        _backend(name).unseal(value, START)


@pytest.mark.parametrize("name", KEYED)
def test_token_under_a_fallback_secret_still_loads(name: str) -> None:
    old = _backend(name, secret_key=OTHER_SECRET)
    value = old.seal(_record())
    rotated = _backend(name, secret_key=SECRET, secret_key_fallbacks=[OTHER_SECRET])
    assert rotated.unseal(value, START).payload == _record().payload
    fresh = rotated.seal(_record())
    with pytest.raises(BadCookie):
        old.unseal(fresh, START)  # new tokens use the current key


@pytest.mark.parametrize("name", KEYED)
def test_every_single_character_change_is_refused(name: str) -> None:
    backend = _backend(name)
    value = backend.seal(_record())
    refused = 0
    for index in range(len(value)):
        for replacement in "A_":
            if value[index] == replacement:
                continue
            forged = value[:index] + replacement + value[index + 1 :]
            try:
                record = backend.unseal(forged, START)
            except BadCookie:
                refused += 1
            else:
                # base64 slack bits may decode to the same bytes; never to other data
                assert record == backend.unseal(value, START)
    assert refused >= len(value)


@pytest.mark.parametrize("name", COOKIE_BACKENDS)
@pytest.mark.parametrize(
    "value", ["", "a", "!!!", "e30", "null", "chunks-2", "a.b.c", "\u00e9t\u00e9", " " * 50]
)
def test_malformed_values_raise_bad_cookie_only(name: str, value: str) -> None:
    with pytest.raises(BadCookie):
        _backend(name).unseal(value, START)


@pytest.mark.parametrize("name", ["signed", "base64"])
def test_large_payload_is_compressed_when_that_is_smaller(name: str) -> None:
    backend = _backend(name)
    payload = json.dumps({"items": ["same text"] * 200}).encode()
    value = backend.seal(_record(payload))
    assert len(value) < len(payload) / 4
    assert backend.unseal(value, START).payload == payload


@pytest.mark.parametrize("name", ["fernet", "aesgcm"])
def test_encrypted_backends_do_not_compress_unless_asked(name: str) -> None:
    payload = json.dumps({"items": ["same text"] * 200}).encode()
    plain = _backend(name).seal(_record(payload))
    packed = _backend(name, compress=True).seal(_record(payload))
    assert len(plain) > len(payload)
    assert len(packed) < len(payload) / 4


def test_a_compression_bomb_is_refused_before_it_is_inflated() -> None:
    backend = SignedBackend(Keyring(SECRET.encode()), Lifetime(3600), max_bytes=4096)
    bomb = json.dumps({"x": "a" * 100_000}).encode()
    value = SignedBackend(Keyring(SECRET.encode()), Lifetime(3600)).seal(_record(bomb))
    assert len(value) < 1000
    with pytest.raises(BadCookie, match="too large"):
        backend.unseal(value, START)


def test_base64_tokens_can_be_forged_which_is_why_they_need_an_opt_in() -> None:
    backend = _backend("base64")
    frame = bytes((0x42, 0)) + START.to_bytes(4, "big") * 2 + b'{"user_id":1}'
    forged = base64.urlsafe_b64encode(frame).decode().rstrip("=")
    assert backend.unseal(forged, START).payload == b'{"user_id":1}'


def test_aesgcm_encrypts_each_token_under_a_fresh_salt() -> None:
    backend = _backend("aesgcm")
    first, second = backend.seal(_record()), backend.seal(_record())
    assert first != second
    assert first[:6] == second[:6]  # format and key id
    assert b"user_id" not in base64.urlsafe_b64decode(first + "==")


def test_fernet_keys_are_derived_so_long_and_non_ascii_secrets_work() -> None:
    for secret in ("\u00e9" * 40, "k" * 200):
        backend = FernetBackend(Keyring(secret.encode()), Lifetime(3600))
        assert backend.unseal(backend.seal(_record()), START) == _record()


def test_fernet_ttl_bounds_the_token_age() -> None:
    backend = FernetBackend(Keyring(SECRET.encode()), Lifetime(100))
    value = backend.seal(_record())
    with pytest.raises(BadCookie):
        backend.unseal(value, START + 101)


def test_aesgcm_backend_refuses_a_token_whose_salt_was_changed() -> None:
    backend = AESGCMBackend(Keyring(SECRET.encode()), Lifetime(3600))
    raw = bytearray(base64.urlsafe_b64decode(backend.seal(_record()) + "=="))
    raw[6] ^= 1
    with pytest.raises(BadCookie):
        backend.unseal(base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("="), START)


# -- JWT -----------------------------------------------------------------------------------


def _claims(value: str) -> dict[str, Any]:
    return jwt.decode(value, options={"verify_signature": False})


def _jwt_key(backend: JWTBackend) -> bytes:
    return base64.urlsafe_b64decode(backend.verification_key() + "==")


def test_jwt_carries_the_data_as_claims_with_registered_times() -> None:
    backend = _backend("jwt", max_age=600)
    assert isinstance(backend, JWTBackend)
    claims = _claims(backend.seal(Record(b'{"user_id":7}', START - 10, START)))
    assert claims["user_id"] == 7
    assert claims["iss"] == "satchel"
    assert claims["aud"] == "session"
    assert claims["iat"] == claims["nbf"] == START
    assert claims["exp"] == START - 10 + 600
    assert claims["orig_iat"] == START - 10
    header = jwt.get_unverified_header(backend.seal(_record()))
    assert header["alg"] == "HS256"
    assert header["kid"]


def test_jwt_namespaces_keys_that_collide_with_registered_claims() -> None:
    backend = _backend("jwt")
    data = {"sub": 1, "aud": "x", "exp": 0, "_private": True, "iss": None, "plain": 1}
    value = backend.seal(_record(json.dumps(data).encode()))
    claims = _claims(value)
    assert claims["_sub"] == 1
    assert claims["_exp"] == 0
    assert claims["__private"] is True
    assert claims["aud"] == "session"
    assert json.loads(backend.unseal(value, START).payload) == data


def test_jwt_verifies_with_plain_pyjwt_and_the_published_key() -> None:
    backend = _backend("jwt")
    assert isinstance(backend, JWTBackend)
    value = backend.seal(_record(created=int(time.time())))
    claims = jwt.decode(
        value, _jwt_key(backend), algorithms=["HS256"], audience="session", issuer="satchel"
    )
    assert claims["user_id"] == 7


@pytest.mark.parametrize("algorithm", ["HS384", "HS512", "EdDSA", "ES256"])
def test_jwt_other_algorithms_round_trip_and_verify_elsewhere(algorithm: str) -> None:
    backend = _backend("jwt", jwt_algorithm=algorithm)
    assert isinstance(backend, JWTBackend)
    now = int(time.time())
    value = backend.seal(_record(created=now))
    assert jwt.get_unverified_header(value)["alg"] == algorithm
    assert backend.unseal(value, now) == _record(created=now)
    key: Any = backend.verification_key()
    if algorithm.startswith("HS"):
        key = _jwt_key(backend)
    claims = jwt.decode(value, key, algorithms=[algorithm], audience="session")
    assert claims["user_id"] == 7


def test_jwt_asymmetric_key_is_stable_for_one_secret() -> None:
    first = _backend("jwt", jwt_algorithm="EdDSA")
    second = _backend("jwt", jwt_algorithm="EdDSA")
    assert isinstance(first, JWTBackend)
    assert isinstance(second, JWTBackend)
    assert first.verification_key() == second.verification_key()
    assert "BEGIN PUBLIC KEY" in first.verification_key()


def _forge(backend: JWTBackend, claims: dict[str, Any], **kwargs: Any) -> str:
    header = jwt.get_unverified_header(backend.seal(_record()))
    kwargs.setdefault("algorithm", "HS256")
    kwargs.setdefault("headers", {"kid": header["kid"]})
    key = kwargs.pop("key", _jwt_key(backend))
    return jwt.encode(claims, key, **kwargs)


def _valid_claims(**changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": "satchel",
        "aud": "session",
        "iat": START,
        "nbf": START,
        "exp": START + 600,
        "orig_iat": START,
        "user_id": 1,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def test_jwt_forged_claims_with_the_right_key_do_load() -> None:
    backend = _backend("jwt")
    assert isinstance(backend, JWTBackend)
    assert backend.unseal(_forge(backend, _valid_claims()), START).payload == b'{"user_id":1}'


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": START - 1},
        {"exp": None},
        {"iat": None},
        {"nbf": START + 3600},
        {"orig_iat": None},
        {"iss": "someone-else"},
        {"aud": "other-cookie"},
        {"aud": None},
        {"exp": "tomorrow"},
        {"exp": True},
        {"iat": START + 7200, "nbf": START, "exp": START + 9000},
        {"sub": 1},
        {"sub": "user-1"},
        {"jti": "a-token-id"},
    ],
)
def test_jwt_with_missing_or_wrong_registered_claims_is_refused(changes: dict[str, Any]) -> None:
    backend = _backend("jwt")
    assert isinstance(backend, JWTBackend)
    with pytest.raises(BadCookie):
        backend.unseal(_forge(backend, _valid_claims(**changes)), START)


def test_jwt_algorithm_none_is_refused() -> None:
    backend = _backend("jwt")
    assert isinstance(backend, JWTBackend)
    header = jwt.get_unverified_header(backend.seal(_record()))
    unsigned = jwt.encode(_valid_claims(), "", algorithm="none", headers={"kid": header["kid"]})
    with pytest.raises(BadCookie):
        backend.unseal(unsigned, START)


def test_jwt_with_another_hmac_algorithm_is_refused() -> None:
    backend = _backend("jwt")
    assert isinstance(backend, JWTBackend)
    forged = _forge(backend, _valid_claims(), algorithm="HS512", key=_jwt_key(backend) * 2)
    with pytest.raises(BadCookie):
        backend.unseal(forged, START)


def test_jwt_hs_token_signed_with_the_public_key_is_refused() -> None:
    backend = _backend("jwt", jwt_algorithm="EdDSA")
    assert isinstance(backend, JWTBackend)
    public = backend.verification_key().encode()
    header = jwt.get_unverified_header(backend.seal(_record()))
    # PyJWT refuses a PEM as an HMAC secret, so the attacker's token is built by hand
    forged = _hand_signed(public, _valid_claims(), {"alg": "HS256", "kid": header["kid"]})
    with pytest.raises(BadCookie):
        backend.unseal(forged, START)


def _hand_signed(key: bytes, claims: dict[str, Any], header: dict[str, Any]) -> str:
    """An HS256 JWS built without PyJWT, which refuses to make some malicious tokens."""
    import hashlib
    import hmac

    def enc(part: bytes) -> str:
        return base64.urlsafe_b64encode(part).decode().rstrip("=")

    head = enc(json.dumps(header).encode())
    body = enc(json.dumps(claims).encode())
    signature = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{enc(signature)}"


@pytest.mark.parametrize("kid", ["unknown", None, 5])
def test_jwt_with_an_unknown_key_id_is_refused(kid: Any) -> None:
    backend = _backend("jwt")
    assert isinstance(backend, JWTBackend)
    header = {"alg": "HS256"} if kid is None else {"alg": "HS256", "kid": kid}
    with pytest.raises(BadCookie):
        backend.unseal(_hand_signed(_jwt_key(backend), _valid_claims(), header), START)


def test_jwt_with_an_unknown_critical_header_is_refused() -> None:
    backend = _backend("jwt")
    assert isinstance(backend, JWTBackend)
    header = jwt.get_unverified_header(backend.seal(_record()))
    forged = _forge(backend, _valid_claims(), headers={"kid": header["kid"], "crit": ["x"]})
    with pytest.raises(BadCookie):
        backend.unseal(forged, START)


def test_jwt_non_json_payload_is_refused() -> None:
    backend = _backend("jwt")
    assert isinstance(backend, JWTBackend)
    header = jwt.get_unverified_header(backend.seal(_record()))
    token = jwt.api_jws.PyJWS().encode(
        b"not json", _jwt_key(backend), algorithm="HS256", headers={"kid": header["kid"]}
    )
    with pytest.raises(BadCookie):
        backend.unseal(token, START)


def test_signed_backend_checks_length_before_decompressing_anything() -> None:
    backend = _backend("signed")
    raw = base64.urlsafe_b64decode(backend.seal(_record()) + "==")
    truncated = base64.urlsafe_b64encode(raw[:20]).decode().rstrip("=")
    with pytest.raises(BadCookie, match="not a signed session token"):
        backend.unseal(truncated, START)


@pytest.mark.parametrize(
    "text",
    ["ab+c", "ab/c", "abc=", "ab=c", "a", "abcde", "ab c", "\u00e9bcd", "abc\n", "ab.c"],
)
def test_base64url_decoding_is_strict(text: str) -> None:
    from satchel.backends._codec import b64decode

    with pytest.raises(BadCookie):
        b64decode(text)


def test_base64url_round_trips_every_length() -> None:
    from satchel.backends._codec import b64decode, b64encode

    for size in range(40):
        data = bytes(range(size))
        assert b64decode(b64encode(data)) == data


@pytest.mark.parametrize(
    "text",
    ["QQ", "QQ=", "QQ===", "UaSw=", "Q=Q=", "=QQ=", "QR==", "QUK=", "Q+==", "QQ==\n", "QQ==QQ=="],
)
def test_padded_base64url_decoding_is_strict(text: str) -> None:
    from satchel.backends._codec import b64decode_padded

    with pytest.raises(BadCookie):
        b64decode_padded(text)


def test_padded_base64url_round_trips_every_length() -> None:
    from satchel.backends._codec import b64decode_padded, b64encode_padded

    for size in range(40):
        data = bytes(range(200, 200 + size % 56)) + bytes(size - size % 56)
        text = b64encode_padded(data)
        assert text == base64.urlsafe_b64encode(data).decode()
        assert b64decode_padded(text) == data


@pytest.mark.parametrize("algorithm", ["HS256", "EdDSA", "ES256"])
@pytest.mark.parametrize("cut", [1, 10, 40])
def test_jwt_with_a_truncated_signature_is_refused(algorithm: str, cut: int) -> None:
    backend = _backend("jwt", jwt_algorithm=algorithm)
    value = backend.seal(_record())
    with pytest.raises(BadCookie):
        backend.unseal(value[:-cut], START)


def test_jwt_header_written_differently_but_valid_is_accepted() -> None:
    backend = _backend("jwt")
    assert isinstance(backend, JWTBackend)
    kid = jwt.get_unverified_header(backend.seal(_record()))["kid"]
    header = {"typ": "JWT", "kid": kid, "alg": "HS256"}  # another key order than satchel's
    token = _hand_signed(_jwt_key(backend), _valid_claims(), header)
    assert backend.unseal(token, START).payload == b'{"user_id":1}'


# -- canonical tokens and unauthenticated input --------------------------------------------------

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _stray_bits(segment: str) -> str | None:
    """*segment* with its last character's unused bits set, or None when it has none."""
    spare = {2: 0b1111, 3: 0b11}.get(len(segment) % 4)
    if spare is None:
        return None
    return segment[:-1] + _ALPHABET[_ALPHABET.index(segment[-1]) | spare]


@pytest.mark.parametrize("name", COOKIE_BACKENDS)
def test_a_token_is_accepted_under_one_string_only(name: str) -> None:
    backend = _backend(name, compress=False)
    for created in range(START, START + 6):  # segments of every length modulo 4
        token = backend.seal(_record(b'{"user_id":7,"cart":[1,2,%d]}' % created, created))
        segments = token.split(".")
        for index, segment in enumerate(segments):
            variant = _stray_bits(segment)
            if variant is None or variant == segment:
                continue
            forged = ".".join([*segments[:index], variant, *segments[index + 1 :]])
            with pytest.raises(BadCookie):
                backend.unseal(forged, created)


def test_an_es256_signature_and_its_mirror_image_are_not_both_accepted() -> None:
    backend = _backend("jwt", jwt_algorithm="ES256")
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    for created in range(START, START + 20):  # about half of ES256 signatures have high s
        token = backend.seal(_record(created=created))
        head, body, signature = token.split(".")
        raw = base64.urlsafe_b64decode(signature + "==")
        s = int.from_bytes(raw[32:], "big")
        assert s <= order // 2  # written in low-S form
        mirror = raw[:32] + (order - s).to_bytes(32, "big")  # verifies mathematically
        other = base64.urlsafe_b64encode(mirror).rstrip(b"=").decode()
        backend.unseal(token, created)
        with pytest.raises(BadCookie, match="low-S"):
            backend.unseal(f"{head}.{body}.{other}", created)


def _deep(depth: int = 3000) -> str:
    return base64.urlsafe_b64encode(b"[" * depth).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("jwt", f"{_deep()}.e30.c2ln"),  # a JWT header: read before any key is needed
        ("base64", _deep()),  # an unsigned payload
    ],
)
def test_deeply_nested_json_without_a_key_is_one_debug_line(
    name: str, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    manager = SessionManager(make_settings(backend=name, allow_unsigned=True))
    with caplog.at_level(logging.DEBUG, logger="satchel"):
        for _ in range(3):
            session = manager.load_nowait({"session": value})
            assert session is not None
            assert dict(session) == {}
    assert [r.levelno for r in caplog.records] == [logging.DEBUG] * 3
    assert all(r.exc_info is None for r in caplog.records)
    assert sum(len(r.getMessage()) for r in caplog.records) < 300


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t + "=",  # padding beyond the token's
        lambda t: t[:10] + "!" + t[10:],  # a character outside the alphabet
        lambda t: t.replace("-", "+").replace("_", "/"),  # the other base64 alphabet
        lambda t: t.rstrip("="),  # the padding dropped
    ],
    ids=["padding", "alien", "alphabet", "unpadded"],
)
def test_a_fernet_token_is_accepted_in_its_canonical_form_only(change: Any) -> None:
    backend = _backend("fernet")
    for created in range(START, START + 8):
        token = backend.seal(_record(created=created))
        variant = change(token)
        if variant == token:
            continue
        with pytest.raises(BadCookie):
            backend.unseal(variant, created)


def test_a_fernet_token_with_stray_bits_is_refused() -> None:
    backend = _backend("fernet")
    tried = 0
    for size in range(16):  # ciphertexts of several lengths: some leave spare bits
        token = backend.seal(_record(b'{"a":"%s"}' % (b"x" * size)))
        body = token.rstrip("=")
        variant = _stray_bits(body)
        if variant is None:
            continue
        tried += 1
        with pytest.raises(BadCookie):
            backend.unseal(variant + token[len(body) :], START)
    assert tried


# -- what the fast paths must not change --------------------------------------------------


def _fernet_token(plain_blocks: bytes, secret: str = SECRET) -> str:
    """A Fernet token whose ciphertext is *plain_blocks* encrypted as they are (no
    padding added) and correctly MACed: what only a holder of the key can make."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = Keyring(secret.encode()).derive("fernet/v1/session")[0].key
    iv = bytes(range(16))
    whole = len(plain_blocks) - len(plain_blocks) % 16
    encryptor = Cipher(algorithms.AES(key[16:]), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(plain_blocks[:whole]) + encryptor.finalize()
    ciphertext += plain_blocks[whole:]  # a partial block, if any, left as it is
    body = b"\x80" + START.to_bytes(8, "big") + iv + ciphertext
    return base64.urlsafe_b64encode(body + hmac.digest(key[:16], body, "sha256")).decode()


@pytest.mark.parametrize(
    "plain",
    [
        b"F" + bytes(9) + b"{}" + bytes(4),  # padding bytes of 0
        b"F" + bytes(9) + b"{}" + b"\x11" * 4,  # padding longer than a block
        b"F" + bytes(9) + b"{}" + b"\x01\x02\x03\x04",  # padding bytes that disagree
        b"F" + bytes(9) + b"{}" + b"\x04" * 4 + bytes(5),  # a partial block
    ],
    ids=["zero", "too-long", "mixed", "partial-block"],
)
def test_fernet_token_under_the_right_key_but_badly_framed_is_refused(plain: bytes) -> None:
    backend = _backend("fernet")
    with pytest.raises(BadCookie):
        backend.unseal(_fernet_token(plain), START)
    assert backend.unseal(backend.seal(_record()), START) == _record()  # nothing left behind


def test_jwt_claims_written_from_the_serializers_json_are_the_claims_dict_to_the_byte() -> None:
    from satchel.serializers import JSONSerializer

    class Another(JSONSerializer):
        """Any serializer but the built-in one: claims are built from the data."""

    fast = _backend("jwt")
    slow = JWTBackend.from_settings(make_settings(backend="jwt"), Another())
    cases: list[dict[str, Any]] = [
        {},
        {"user_id": 7, "cart": [1, 2]},
        {"_private": 1, "plain": 2},
        {"exp": 0, "sub": "x"},
        {"notes": ["_not a key", '"_quoted'], "nested": {"_inner": {"iss": 1}}},
        {"\u00e9t\u00e9": "\u2028\U0001f600", "n": 10**30, "f": 1.5, "none": None},
    ]
    serializer = JSONSerializer()
    for data in cases:
        payload = serializer.dumps(data)
        for record in (Record(payload, START - 5, START, data=data), Record(payload, START, START)):
            token = fast.seal(record)
            assert token == slow.seal(record)
            assert json.loads(fast.unseal(token, START).payload) == data


def test_jwt_with_the_orjson_serializer_writes_what_it_can_write() -> None:
    import uuid

    from satchel.serializers import OrjsonSerializer

    pytest.importorskip("orjson")
    serializer = OrjsonSerializer()
    backend = JWTBackend.from_settings(make_settings(backend="jwt"), serializer)
    for data in ({"u": uuid.UUID(int=5)}, {"_u": uuid.UUID(int=5), "exp": 1}, {"\u00e9": 1}):
        payload = serializer.dumps(data)
        token = backend.seal(Record(payload, START, START, data=data))
        expected = json.loads(payload)
        assert json.loads(backend.unseal(token, START).payload) == expected
        claims = _claims(token)
        assert claims["aud"] == "session"
        assert claims["exp"] > START


def _signed_claims(backend: JWTBackend, text: str) -> str:
    """An HS256 token whose claims segment is *text* exactly."""
    head = backend.seal(_record()).split(".")[0]
    body = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
    signature = hmac.digest(_jwt_key(backend), f"{head}.{body}".encode(), "sha256")
    return f"{head}.{body}.{base64.urlsafe_b64encode(signature).decode().rstrip('=')}"


def test_jwt_claims_with_white_space_around_them_load() -> None:
    backend = _backend("jwt")
    assert isinstance(backend, JWTBackend)
    for text in (json.dumps(_valid_claims()), f" {json.dumps(_valid_claims(), indent=2)}\n"):
        assert backend.unseal(_signed_claims(backend, text), START).payload == b'{"user_id":1}'


@pytest.mark.parametrize(
    "text",
    ['{"a":1}{"b":2}', '{"a":1} x', "[1]", '"{}"', "", "{", "\ufeff{}"],
)
def test_jwt_claims_that_are_not_one_json_object_are_refused(text: str) -> None:
    backend = _backend("jwt")
    assert isinstance(backend, JWTBackend)
    with pytest.raises(BadCookie):
        backend.unseal(_signed_claims(backend, text), START)


@pytest.mark.parametrize("digest", ["sha256", "sha384", "sha512"])
def test_keyed_hmac_is_hmac_and_keeps_its_key_out_of_sight(digest: str) -> None:
    from satchel.backends._codec import KeyedHMAC

    for size in (0, 16, 32, 48, 64, 65, 128, 129, 300):  # around both block sizes
        key = bytes(range(size % 256)) + b"k" * (size - size % 256)
        mac = KeyedHMAC(key, digest)
        for message in (b"", b"x", b"y" * 1000):
            expected = hmac.digest(key, message, digest)
            assert mac.digest(message) == expected
            assert mac.verify(message, expected)
            assert not mac.verify(message + b"!", expected)
            assert not mac.verify(message, expected[:-1])
    assert repr(KeyedHMAC(SECRET.encode(), digest)) == f"KeyedHMAC({digest})"


_PURPOSES = {
    "signed": "signed/v1/session",
    "jwt": "jwt/v1/session/HS256",
    "fernet": "fernet/v1/session",
    "aesgcm": "aesgcm/v1/session",
}


@pytest.mark.parametrize("name", KEYED)
def test_no_key_material_in_the_reprs_of_a_backend_or_its_keys(name: str) -> None:
    backend: Any = _backend(name, secret_key_fallbacks=[OTHER_SECRET])
    keys = [
        k.key for s in (SECRET, OTHER_SECRET) for k in Keyring(s.encode()).derive(_PURPOSES[name])
    ]
    parts = [part for key in keys for part in (key, key[:16], key[16:])]
    held = {"signed": "_keys", "fernet": "_keys", "aesgcm": "_sealer"}.get(name)
    objects = [backend]
    if held is not None:
        value = getattr(backend, held)
        objects += list(value.values()) if isinstance(value, dict) else [value]
        objects += list(value) if isinstance(value, tuple) else []
    for text in map(repr, objects):
        assert SECRET not in text
        assert OTHER_SECRET not in text
        assert not any(part.hex() in text or repr(part)[2:-1] in text for part in parts)
