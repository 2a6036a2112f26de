"""The board keeps passwords and one-time secrets as argon2id hashes with RFC 9106's "low
memory" parameters. The other tests swap in a cheap hasher (tests/conftest.py); this one holds
production's to its parameters, and checks that what it hashes it takes and nothing else."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type
from argon2.exceptions import VerifyMismatchError
from argon2.profiles import RFC_9106_LOW_MEMORY

from overgang.service import people
from tests.conftest import PRODUCTION_PASSWORD_HASHER


def test_production_hashes_with_argon2id_and_rfc_9106_low_memory_parameters() -> None:
    hasher = PRODUCTION_PASSWORD_HASHER
    assert hasher.type is Type.ID
    assert (hasher.time_cost, hasher.memory_cost, hasher.parallelism) == (
        RFC_9106_LOW_MEMORY.time_cost,
        RFC_9106_LOW_MEMORY.memory_cost,
        RFC_9106_LOW_MEMORY.parallelism,
    )
    assert (hasher.hash_len, hasher.salt_len) == (
        RFC_9106_LOW_MEMORY.hash_len,
        RFC_9106_LOW_MEMORY.salt_len,
    )
    hashed = hasher.hash("correct horse battery")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert hasher.verify(hashed, "correct horse battery")
    with pytest.raises(VerifyMismatchError):
        hasher.verify(hashed, "correct horse batterY")


def test_the_tests_swap_in_a_cheap_argon2id_hasher() -> None:
    assert isinstance(people._HASHER, PasswordHasher)
    assert people._HASHER is not PRODUCTION_PASSWORD_HASHER
    assert people._HASHER.type is Type.ID
