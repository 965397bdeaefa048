"""KDF parameters a browser sends: each refusal says what is wrong."""

from __future__ import annotations

import pytest

from crypto.encoding import b64url_encode
from vault.errors import InvalidInput
from vault.identity.keymaterial import kdf_params

SALT = b64url_encode(bytes(16))


@pytest.mark.parametrize(
    ("params", "sentence"),
    [
        ({"alg": "argon2id13", "ops": 2, "mem": 2**26, "salt": SALT}, "below the required"),
        ({"alg": "argon2i13", "ops": 3, "mem": 2**26, "salt": SALT}, "below the required"),
        ({"alg": "argon2id13", "ops": 11, "mem": 2**26, "salt": SALT}, "above what a browser"),
        ({"alg": "argon2id13", "ops": 3, "mem": 2**30 + 1, "salt": SALT}, "above what a browser"),
        ({"alg": "argon2id13", "ops": 3, "mem": 2**26, "salt": "AAAA"}, "missing or invalid"),
        ({"alg": "argon2id13", "ops": "3", "mem": 2**26, "salt": SALT}, "missing or invalid"),
        ({"alg": "argon2id13", "mem": 2**26, "salt": SALT}, "missing or invalid"),
    ],
)
def test_each_kdf_refusal_says_what_is_wrong(params: dict[str, object], sentence: str) -> None:
    """Above the ceiling is not "below the required strength" (found by review), and a
    salt of the wrong length or a wrong type is neither."""
    with pytest.raises(InvalidInput, match=sentence):
        kdf_params(params)


def test_the_floor_and_the_ceiling_themselves_are_accepted() -> None:
    for ops, mem in ((3, 2**26), (10, 2**30)):
        params = kdf_params({"alg": "argon2id13", "ops": ops, "mem": mem, "salt": SALT})
        assert (params.ops, params.mem) == (ops, mem)
