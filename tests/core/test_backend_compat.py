"""Cookies already in browsers keep working: tokens the backends wrote before their
keys, MACs and cipher contexts were kept from start-up still read, and a Fernet token
is a Fernet token both ways (cryptography's `Fernet` reads satchel's and satchel reads
its own)."""

from __future__ import annotations

import base64
import json
import struct
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken
from support import OTHER_SECRET, SECRET, START, make_settings

from satchel import BadCookie, CookieBackend
from satchel.backends import Keyring, Record, build_backend

SMALL = b'{"cart":[1,2],"user_id":7}'
BIG = json.dumps({"items": ["same text"] * 30, "user_id": 7}, separators=(",", ":")).encode()

WRITTEN_BEFORE: list[tuple[str, str, dict[str, Any], bytes, str]] = [
    (
        "signed",
        "small",
        {},
        SMALL,
        (
            "U5A1ZZUAa0nRzmtJ0fZ7ImNhcnQiOlsxLDJdLCJ1c2VyX2lkIjo3fUmekknvaHdCkspuRUL9biMW_anM"
            "GXbh0x7Jz0RKdIZn"
        ),
    ),
    (
        "signed",
        "compressed",
        {"compress": True},
        BIG,
        (
            "U5A1ZZUBa0nRzmtJ0fZ4nKtWyixJzS1WsopWKk7MTVUoSa0oUdIZZdOMHaujVFqcWhSfmaJkZV4LAJ0u"
            "f1uJ3Sf1u-HnrO7wFfZKy_JetLdjK6CYeQJfRyyU_1x1dA"
        ),
    ),
    (
        "signed",
        "uncompressed",
        {"compress": False},
        BIG,
        (
            "U5A1ZZUAa0nRzmtJ0fZ7Iml0ZW1zIjpbInNhbWUgdGV4dCIsInNhbWUgdGV4dCIsInNhbWUgdGV4dCIs"
            "InNhbWUgdGV4dCIsInNhbWUgdGV4dCIsInNhbWUgdGV4dCIsInNhbWUgdGV4dCIsInNhbWUgdGV4dCIs"
            "InNhbWUgdGV4dCIsInNhbWUgdGV4dCIsInNhbWUgdGV4dCIsInNhbWUgdGV4dCIsInNhbWUgdGV4dCIs"
            "InNhbWUgdGV4dCIsInNhbWUgdGV4dCIsInNhbWUgdGV4dCIsInNhbWUgdGV4dCIsInNhbWUgdGV4dCIs"
            "InNhbWUgdGV4dCIsInNhbWUgdGV4dCIsInNhbWUgdGV4dCIsInNhbWUgdGV4dCIsInNhbWUgdGV4dCIs"
            "InNhbWUgdGV4dCIsInNhbWUgdGV4dCIsInNhbWUgdGV4dCIsInNhbWUgdGV4dCIsInNhbWUgdGV4dCIs"
            "InNhbWUgdGV4dCIsInNhbWUgdGV4dCJdLCJ1c2VyX2lkIjo3ff45ngX8u6hG6fJ_0tDN1RADX90OOYs-"
            "MFvfFsqCv0GV"
        ),
    ),
    (
        "signed",
        "fallback",
        {"secret_key_fallbacks": [OTHER_SECRET]},
        SMALL,
        (
            "U6w9WK4Aa0nRzmtJ0fZ7ImNhcnQiOlsxLDJdLCJ1c2VyX2lkIjo3fVjesKQEH4MQYsLePasuz2Y5FAgu"
            "31ntL5d-ZEN3onS3"
        ),
    ),
    (
        "signed",
        "named",
        {"cookie_name": "admin"},
        SMALL,
        (
            "U5A1ZZUAa0nRzmtJ0fZ7ImNhcnQiOlsxLDJdLCJ1c2VyX2lkIjo3ffxY0Okh1wKTrpw8A32emAq2R9Qb"
            "7EDFqC5pv4jfivoB"
        ),
    ),
    (
        "fernet",
        "small",
        {},
        SMALL,
        (
            "gAAAAABrSdH26Uq-ypLriZ8N-pkhZqLevGyeKu8IopYUMcbFgTnwy0VnmFZqN21kySf0g2hhTgrKzLEl"
            "6yi6ArQ2uM99d5QBuLwRV7X1x86JSzXFrmr1U2CJJ3ZWIDYNYtd8ADyMGDbD"
        ),
    ),
    (
        "fernet",
        "compressed",
        {"compress": True},
        BIG,
        (
            "gAAAAABrSdH2n-Ov4rWddMMVx5ZU9mgf6xi7XeZskcLXpvFKX4Li9tmwZDmZRClOZmtvKZDv4-CWD15K"
            "nsfpwndh7YRU8d9xy9vZkcQhn-sUFpeZb-aXlitp7r5fZ5m0uckqFHpF7iQAmXxpTeKowrNCODWXn1i7"
            "HA=="
        ),
    ),
    (
        "fernet",
        "uncompressed",
        {"compress": False},
        BIG,
        (
            "gAAAAABrSdH2lzKoPfZUKqeI8__S8F0iWxzKkRnfPFFUmumeTiADpK6cmDZGgcowJA1WYUAAjR5ja9A2"
            "y1TSeCRi3yOl9cg0OdXB5U-_jQTcV66DrbubKK91QMgSJq5K_GLMEq_S7kgtIdBxw6jKd9Epv6FRfppM"
            "T8UHHu2DDvzbuAgoj5jxR_CXE2Q2aCOBpfQsptgPNBQcrpqLJ1-sYWnHaMn9NXzK4QnCg0Gdry0xWd5b"
            "72Td64_IgNFaVpTAIJV9TFD8be3CGqu0WU2mvM4QwwjwMFM1hnLwRqGDaTso_2Oc_uHq84LO-YW2mbzz"
            "zkojk4Q2n13h2ZEeo_fHjHMSTvn4Byzdm7OxusZ76cQn0Pc0Y003gpWyg2hGBpdX7fmTdyEXaW_Loyu7"
            "eNXR48GX7aLNwMleLkKPro8e_W-jRLpMMbISJsbklQGpeGI3CjKdQN6mkSzekZcgYYCg1S5V9AES6DTB"
            "Ua46vN8_5RfDnA3flmxnmLxN35wNc9QmxDGAvnxZ3hN7rosTiUfEw_bgbY-KJhmlOvwAZN1EHs4bHfAI"
            "kKnzu_iS9BIG6GK4TbbBaZnqv0vQ5LmZHvFN1cReJiP5IowjXw=="
        ),
    ),
    (
        "fernet",
        "fallback",
        {"secret_key_fallbacks": [OTHER_SECRET]},
        SMALL,
        (
            "gAAAAABrSdH2jiXiFhf8Tw-98WMvoKO861JvTHFHUayZGXp4fLFY6nbhdwj16622muVJARw7lPp3ixb8"
            "Kxg0QNpuSG9JPnBXtfCkJqZl32TVWxXongkT9GN-8oGDtW4ftVTDXevAucnU"
        ),
    ),
    (
        "fernet",
        "named",
        {"cookie_name": "admin"},
        SMALL,
        (
            "gAAAAABrSdH2bMbqKbZ_tf2C1TPKpI61IPW0MuyeItNd6qs40JvQXjTOMxo_KwyvmIIKAq9M9AmAK79N"
            "KmF6TncBkoSRxBR07sYcXm-rVlgX65UtMXNK3Rv4xJHjyaoj2jsIygu07Gkq"
        ),
    ),
    (
        "aesgcm",
        "small",
        {},
        SMALL,
        (
            "QZA1ZZVc_R_6fOu_wSHAV5gAQXbS_fFYWg_OtuomN2rnPOcIojqh3RmiTGR-11gby7_00-ceCEdWCWFG"
            "faYWejGQUBagXdlw"
        ),
    ),
    (
        "aesgcm",
        "compressed",
        {"compress": True},
        BIG,
        (
            "QZA1ZZUNB5M6o3wdR0BJHN3hq7Qc0M4tdNLSjNtwzq3gn7eQ1VaGSq0ijXSjcVKOL6AO552whfVsR9K0"
            "S5xSLxxGDvDuvbuFFDpV947_gTdVPJrbuNuEz47l8MKdow"
        ),
    ),
    (
        "aesgcm",
        "uncompressed",
        {"compress": False},
        BIG,
        (
            "QZA1ZZVgkaGhKFnggxc5A9_vtkvNudU6M1yduwdk4iUQ1ZV83WMWg0A_wc7gHRtIeKt4NGz3NUulO33A"
            "W55-y19aYsAwQgXSvNR8IAEjClUNePYYFpuUKCajltLZy0ii3lmuHOJt5Q_FlVezkvTFO3Fknyxr_flN"
            "ivllRX3DR0WuHeik8PQae3Prlb3g0dXdgq-4AyAaFu8nGD8oaAinVE_D0sYBiUabNdqrdlb9SMECxI5l"
            "eqxqsS2YnYbj3JUlxTEkoWXjJ8ddfdVCUwP-YQxlk3pbcvR8Ey3Q_EufTjDfDDIaGOdsbKFsK5b7Ff1a"
            "ypzwLQrV5G9J7A2Vw_hflylDr5WdNo5bny7VYD2Ic36miajkNxnH8Iotg0D44uUJqwEH54M6sxxnUQli"
            "lD1FzFBJJ8tBSABdO1gv3cIE1Dsj36rz-jKuV3gooo-ktAhT5jSUXc0SokzkOrQ9QhZfbVb7SSJezjnP"
            "uh8tDhY9BkdKqZprwTh_6go9_wG4HDsjf217cPMuv2JlBuawsQHGRZa5lIaIMBJUOBSSfbpkPucMSCtw"
            "Gr_x2lQByQ3_"
        ),
    ),
    (
        "aesgcm",
        "fallback",
        {"secret_key_fallbacks": [OTHER_SECRET]},
        SMALL,
        (
            "Qaw9WK4DjMRnX0aT0tUWWjSYdovpWMtDtQhA4wVD6wNv6N8YGgWIFwA1XWm391qrP5gEJBDG7I6snuUW"
            "BuHZANcELsHdN-y5"
        ),
    ),
    (
        "aesgcm",
        "named",
        {"cookie_name": "admin"},
        SMALL,
        (
            "QZA1ZZVvY9rzsRSHbhw7SmjZUCbdLZXzIxgYMYtRpZzSqJksr-nRAKrRQt1tQrKXkjxDW0t5M7bLNOAR"
            "h06hCITmm4LJJ7tE"
        ),
    ),
    (
        "jwt",
        "small",
        {},
        SMALL,
        (
            "eyJhbGciOiJIUzI1NiIsImtpZCI6ImtEVmxsUSIsInR5cCI6IkpXVCJ9.eyJjYXJ0IjpbMSwyXSwidXN"
            "lcl9pZCI6NywiaXNzIjoic2F0Y2hlbCIsImF1ZCI6InNlc3Npb24iLCJpYXQiOjE3OTk5OTk5OTAsIm5"
            "iZiI6MTc5OTk5OTk5MCwiZXhwIjoxODAxMjA5NTUwLCJvcmlnX2lhdCI6MTc5OTk5OTk1MH0.2j6dWli"
            "Et5Cudda2gQ1K2hezqIgtoU55O6ky4_IwrPw"
        ),
    ),
    (
        "jwt",
        "compressed",
        {"compress": True},
        BIG,
        (
            "eyJhbGciOiJIUzI1NiIsImtpZCI6ImtEVmxsUSIsInR5cCI6IkpXVCJ9.eyJpdGVtcyI6WyJzYW1lIHR"
            "leHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHR"
            "leHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHR"
            "leHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHR"
            "leHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHR"
            "leHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHR"
            "leHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiXSwidXNlcl9"
            "pZCI6NywiaXNzIjoic2F0Y2hlbCIsImF1ZCI6InNlc3Npb24iLCJpYXQiOjE3OTk5OTk5OTAsIm5iZiI"
            "6MTc5OTk5OTk5MCwiZXhwIjoxODAxMjA5NTUwLCJvcmlnX2lhdCI6MTc5OTk5OTk1MH0.-DAe7Wj69CT"
            "FvjOaGVxrYL1hA63LRPLU8vOtqo_Yo3A"
        ),
    ),
    (
        "jwt",
        "uncompressed",
        {"compress": False},
        BIG,
        (
            "eyJhbGciOiJIUzI1NiIsImtpZCI6ImtEVmxsUSIsInR5cCI6IkpXVCJ9.eyJpdGVtcyI6WyJzYW1lIHR"
            "leHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHR"
            "leHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHR"
            "leHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHR"
            "leHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHR"
            "leHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHR"
            "leHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiLCJzYW1lIHRleHQiXSwidXNlcl9"
            "pZCI6NywiaXNzIjoic2F0Y2hlbCIsImF1ZCI6InNlc3Npb24iLCJpYXQiOjE3OTk5OTk5OTAsIm5iZiI"
            "6MTc5OTk5OTk5MCwiZXhwIjoxODAxMjA5NTUwLCJvcmlnX2lhdCI6MTc5OTk5OTk1MH0.-DAe7Wj69CT"
            "FvjOaGVxrYL1hA63LRPLU8vOtqo_Yo3A"
        ),
    ),
    (
        "jwt",
        "fallback",
        {"secret_key_fallbacks": [OTHER_SECRET]},
        SMALL,
        (
            "eyJhbGciOiJIUzI1NiIsImtpZCI6InJEMVlyZyIsInR5cCI6IkpXVCJ9.eyJjYXJ0IjpbMSwyXSwidXN"
            "lcl9pZCI6NywiaXNzIjoic2F0Y2hlbCIsImF1ZCI6InNlc3Npb24iLCJpYXQiOjE3OTk5OTk5OTAsIm5"
            "iZiI6MTc5OTk5OTk5MCwiZXhwIjoxODAxMjA5NTUwLCJvcmlnX2lhdCI6MTc5OTk5OTk1MH0.SbCPm8N"
            "8FyCmOLBKkKAfMu1teG1BiWO9DOeh23yQ5KM"
        ),
    ),
    (
        "jwt",
        "named",
        {"cookie_name": "admin"},
        SMALL,
        (
            "eyJhbGciOiJIUzI1NiIsImtpZCI6ImtEVmxsUSIsInR5cCI6IkpXVCJ9.eyJjYXJ0IjpbMSwyXSwidXN"
            "lcl9pZCI6NywiaXNzIjoic2F0Y2hlbCIsImF1ZCI6ImFkbWluIiwiaWF0IjoxNzk5OTk5OTkwLCJuYmY"
            "iOjE3OTk5OTk5OTAsImV4cCI6MTgwMTIwOTU1MCwib3JpZ19pYXQiOjE3OTk5OTk5NTB9.A6tx3MfuZV"
            "z76flColNOX2vYamqIQR9hdBUpXUdnlNE"
        ),
    ),
    (
        "base64",
        "small",
        {},
        SMALL,
        ("QgBrSdHOa0nR9nsiY2FydCI6WzEsMl0sInVzZXJfaWQiOjd9"),
    ),
    (
        "base64",
        "compressed",
        {"compress": True},
        BIG,
        ("QgFrSdHOa0nR9nicq1bKLEnNLVayilYqTsxNVShJrShR0hll04wdq6NUWpxaFJ-ZomRlXgsAnS5_Ww"),
    ),
    (
        "base64",
        "uncompressed",
        {"compress": False},
        BIG,
        (
            "QgBrSdHOa0nR9nsiaXRlbXMiOlsic2FtZSB0ZXh0Iiwic2FtZSB0ZXh0Iiwic2FtZSB0ZXh0Iiwic2Ft"
            "ZSB0ZXh0Iiwic2FtZSB0ZXh0Iiwic2FtZSB0ZXh0Iiwic2FtZSB0ZXh0Iiwic2FtZSB0ZXh0Iiwic2Ft"
            "ZSB0ZXh0Iiwic2FtZSB0ZXh0Iiwic2FtZSB0ZXh0Iiwic2FtZSB0ZXh0Iiwic2FtZSB0ZXh0Iiwic2Ft"
            "ZSB0ZXh0Iiwic2FtZSB0ZXh0Iiwic2FtZSB0ZXh0Iiwic2FtZSB0ZXh0Iiwic2FtZSB0ZXh0Iiwic2Ft"
            "ZSB0ZXh0Iiwic2FtZSB0ZXh0Iiwic2FtZSB0ZXh0Iiwic2FtZSB0ZXh0Iiwic2FtZSB0ZXh0Iiwic2Ft"
            "ZSB0ZXh0Iiwic2FtZSB0ZXh0Iiwic2FtZSB0ZXh0Iiwic2FtZSB0ZXh0Iiwic2FtZSB0ZXh0Iiwic2Ft"
            "ZSB0ZXh0Iiwic2FtZSB0ZXh0Il0sInVzZXJfaWQiOjd9"
        ),
    ),
    (
        "base64",
        "named",
        {"cookie_name": "admin"},
        SMALL,
        ("QgBrSdHOa0nR9nsiY2FydCI6WzEsMl0sInVzZXJfaWQiOjd9"),
    ),
    (
        "jwt",
        "HS384",
        {"jwt_algorithm": "HS384"},
        SMALL,
        (
            "eyJhbGciOiJIUzM4NCIsImtpZCI6ImtEVmxsUSIsInR5cCI6IkpXVCJ9.eyJjYXJ0IjpbMSwyXSwidXN"
            "lcl9pZCI6NywiaXNzIjoic2F0Y2hlbCIsImF1ZCI6InNlc3Npb24iLCJpYXQiOjE3OTk5OTk5OTAsIm5"
            "iZiI6MTc5OTk5OTk5MCwiZXhwIjoxODAxMjA5NTUwLCJvcmlnX2lhdCI6MTc5OTk5OTk1MH0.zRzcR3n"
            "G4pSQTem_yIGoVzO20Ex_5ogIymCetcbTPTHw-yfkzCmH0qz6Sukb6TUZ"
        ),
    ),
    (
        "jwt",
        "HS512",
        {"jwt_algorithm": "HS512"},
        SMALL,
        (
            "eyJhbGciOiJIUzUxMiIsImtpZCI6ImtEVmxsUSIsInR5cCI6IkpXVCJ9.eyJjYXJ0IjpbMSwyXSwidXN"
            "lcl9pZCI6NywiaXNzIjoic2F0Y2hlbCIsImF1ZCI6InNlc3Npb24iLCJpYXQiOjE3OTk5OTk5OTAsIm5"
            "iZiI6MTc5OTk5OTk5MCwiZXhwIjoxODAxMjA5NTUwLCJvcmlnX2lhdCI6MTc5OTk5OTk1MH0.e5BpBKC"
            "HF3ROmIEEi9NU9z5wilYnHP72Sb_sptp-yYMQTCW4KJtnnCYH8oUJz9wP7sIlh_qeA6RsCRj5rhnqqA"
        ),
    ),
    (
        "jwt",
        "EdDSA",
        {"jwt_algorithm": "EdDSA"},
        SMALL,
        (
            "eyJhbGciOiJFZERTQSIsImtpZCI6ImtEVmxsUSIsInR5cCI6IkpXVCJ9.eyJjYXJ0IjpbMSwyXSwidXN"
            "lcl9pZCI6NywiaXNzIjoic2F0Y2hlbCIsImF1ZCI6InNlc3Npb24iLCJpYXQiOjE3OTk5OTk5OTAsIm5"
            "iZiI6MTc5OTk5OTk5MCwiZXhwIjoxODAxMjA5NTUwLCJvcmlnX2lhdCI6MTc5OTk5OTk1MH0.hOfTTkS"
            "IOby-vqgEGBgnoVB5ehrqr6kI0gLhFeLiSwJkoCN-p4JdQOc4rmLw9-iqvZT1fTU2igjGra7x2kPVDQ"
        ),
    ),
    (
        "jwt",
        "ES256",
        {"jwt_algorithm": "ES256"},
        SMALL,
        (
            "eyJhbGciOiJFUzI1NiIsImtpZCI6ImtEVmxsUSIsInR5cCI6IkpXVCJ9.eyJjYXJ0IjpbMSwyXSwidXN"
            "lcl9pZCI6NywiaXNzIjoic2F0Y2hlbCIsImF1ZCI6InNlc3Npb24iLCJpYXQiOjE3OTk5OTk5OTAsIm5"
            "iZiI6MTc5OTk5OTk5MCwiZXhwIjoxODAxMjA5NTUwLCJvcmlnX2lhdCI6MTc5OTk5OTk1MH0.nG_5Dvn"
            "U92YVISB7HKCOOBUGU5IHGsZl9--157TqKyAMIyNKzofxv7R6SgtP_az53ypiKeXPPHLeMQKwDwBDag"
        ),
    ),
]
"""Tokens written by the backends of commit 4ea5c39 (before the fast paths), each from
a record created at START - 50 and issued at START - 10; "fallback" ones under
OTHER_SECRET, now a fallback."""


def _backend(name: str, **options: Any) -> CookieBackend:
    backend = build_backend(make_settings(backend=name, **options))
    assert isinstance(backend, CookieBackend)
    return backend


@pytest.mark.parametrize(
    ("name", "label", "options", "payload", "token"),
    WRITTEN_BEFORE,
    ids=[f"{name}-{label}" for name, label, *_ in WRITTEN_BEFORE],
)
def test_tokens_written_before_the_fast_path_still_read(
    name: str, label: str, options: dict[str, Any], payload: bytes, token: str
) -> None:
    record = _backend(name, **options).unseal(token, START)
    assert record == Record(payload, START - 50, START - 10)


def _fernet(secret: str = SECRET) -> Fernet:
    """cryptography's Fernet under the key the backend derives from *secret*."""
    key = Keyring(secret.encode()).derive("fernet/v1/session")[0].key
    return Fernet(base64.urlsafe_b64encode(key))


def _plain(record: Record) -> bytes:
    """What a fernet session token encrypts: format byte, frame, payload."""
    return b"F" + struct.pack(">BII", 0, record.created, record.issued) + record.payload


def test_fernet_token_is_read_by_cryptographys_fernet() -> None:
    backend = _backend("fernet")
    for size in range(48):  # every padding length, over one to four blocks
        record = Record(b"x" * size, START - 5, START)
        token = backend.seal(record)
        assert _fernet().decrypt_at_time(token.encode(), 60, START) == _plain(record)
        assert _fernet().extract_timestamp(token) == START
    with pytest.raises(InvalidToken):  # and only under its own key
        _fernet(OTHER_SECRET).decrypt_at_time(token.encode(), 60, START)


def test_cryptographys_fernet_token_is_read() -> None:
    backend = _backend("fernet")
    for size in range(48):
        record = Record(b"y" * size, START - 5, START)
        token = _fernet().encrypt_at_time(_plain(record), START).decode()
        assert backend.unseal(token, START) == record


def test_cryptographys_fernet_token_under_a_fallback_key_is_read() -> None:
    backend = _backend("fernet", secret_key_fallbacks=[OTHER_SECRET])
    record = Record(SMALL, START - 5, START)
    token = _fernet(OTHER_SECRET).encrypt_at_time(_plain(record), START).decode()
    assert backend.unseal(token, START) == record


def test_fernet_ttl_is_what_cryptographys_fernet_enforces() -> None:
    backend = _backend("fernet", max_age=100)
    token = backend.seal(Record(SMALL, START, START))
    for now in (START + 99, START + 100):  # the frame's own times refuse START + 100
        _fernet().decrypt_at_time(token.encode(), 100, now)
    with pytest.raises(InvalidToken):
        _fernet().decrypt_at_time(token.encode(), 100, START + 101)
    with pytest.raises(BadCookie):
        backend.unseal(token, START + 101)


def test_fernet_tokens_each_get_a_fresh_iv() -> None:
    backend = _backend("fernet")
    record = Record(SMALL, START, START)
    ivs = {base64.urlsafe_b64decode(backend.seal(record))[9:25] for _ in range(200)}
    assert len(ivs) == 200


def test_fernet_backend_shared_by_threads_writes_only_whole_tokens() -> None:
    backend = _backend("fernet")
    fernet = _fernet()

    def work(worker: int) -> int:
        for i in range(300):
            record = Record(b"%d" % (worker * 1000 + i) * (i % 7 + 1), START, START)
            token = backend.seal(record)
            assert backend.unseal(token, START) == record
            assert fernet.decrypt_at_time(token.encode(), 60, START) == _plain(record)
        return worker

    with ThreadPoolExecutor(8) as pool:
        assert sorted(pool.map(work, range(8))) == list(range(8))
