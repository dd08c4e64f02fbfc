"""Passwords: argon2id hashes, a length floor, and a list of passwords everyone tries first."""

from __future__ import annotations

from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from zhian.core.errors import InvalidInput

MIN_LENGTH = 8
# Long enough for any passphrase; the bound only stops a megabyte "password" tying up argon2.
MAX_LENGTH = 1024

_hasher = PasswordHasher()


@cache
def _common() -> frozenset[str]:
    text = resources.files("zhian.core.identity").joinpath("data/common-passwords.txt")
    return frozenset(line.strip().lower() for line in text.read_text("utf-8").splitlines())


def check_policy(password: str, *, username: str = "", field: str = "password") -> None:
    """Refuse a password that is short, common, or the username; say which rule it broke."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"密码至少需要 {MIN_LENGTH} 个字符", field=field)
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"密码不能超过 {MAX_LENGTH} 个字符", field=field)
    if password.lower() in _common():
        raise InvalidInput("该密码过于常见，容易被猜中，请换一个", field=field)
    if username and password.lower() == username.lower():
        raise InvalidInput("密码不能与用户名相同", field=field)


def hash_password(password: str) -> str:
    """An argon2id hash of the whole password (argon2 never truncates)."""
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether the password matches the stored hash."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored_hash)


# Compared against when the username does not exist, so both paths cost the same time.
DUMMY_HASH = _hasher.hash("zhian-no-such-user-dummy")
