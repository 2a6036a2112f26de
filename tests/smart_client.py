"""A SMART Backend Services client as a partner writes one: its own keys, assertions signed
with PyJWT (another JOSE library than the server's joserfc), the token endpoint over HTTP."""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_URL = "https://fhir.overgang.dk/oauth/token"  # from Settings.public_base_url's default


@dataclass
class PartnerKey:
    kid: str
    algorithm: str  # RS384 | ES384
    private: Any = field(repr=False)

    @classmethod
    def generate(cls, algorithm: str = "ES384", kid: str | None = None) -> PartnerKey:
        private: Any = (
            ec.generate_private_key(ec.SECP384R1())
            if algorithm.startswith("ES")
            else rsa.generate_private_key(public_exponent=65537, key_size=2048)
        )
        return cls(kid=kid or uuid.uuid4().hex, algorithm=algorithm, private=private)

    def public_jwk(self) -> dict[str, Any]:
        codec = ECAlgorithm if self.algorithm.startswith("ES") else RSAAlgorithm
        jwk: dict[str, Any] = codec.to_jwk(self.private.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "alg": self.algorithm, "use": "sig"}


def jwks(*keys: PartnerKey) -> dict[str, Any]:
    return {"keys": [key.public_jwk() for key in keys]}


def claims(client_id: str, *, now: float | None = None, **changes: Any) -> dict[str, Any]:
    """The claims SMART asks for: iss = sub = client id, aud = token URL, exp 4 minutes ahead."""
    issued = time.time() if now is None else now
    standard = {
        "iss": client_id,
        "sub": client_id,
        "aud": TOKEN_URL,
        "exp": int(issued) + 240,
        "jti": uuid.uuid4().hex,
    }
    merged = {**standard, **changes}
    return {name: value for name, value in merged.items() if value is not None}


def assertion(
    key: PartnerKey,
    payload: dict[str, Any],
    *,
    algorithm: str | None = None,
    kid: str | None = None,
) -> str:
    return jwt.encode(
        payload, key.private, algorithm=algorithm or key.algorithm, headers={"kid": kid or key.kid}
    )


def unsigned(payload: dict[str, Any], kid: str) -> str:
    """An assertion with `alg: none` (PyJWT will not make one)."""

    def part(document: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'kid': kid, 'typ': 'JWT'})}.{part(payload)}."


def token_form(client_assertion: str, scope: str | None) -> dict[str, str]:
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client_assertion,
    }
    if scope is not None:
        form["scope"] = scope
    return form
