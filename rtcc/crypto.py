"""Encryption at rest for stream credentials (pull URLs with passwords, SRT passphrases).

The key is derived from SECRET_KEY with HKDF, so a database dump alone reveals no
credential; rotating SECRET_KEY needs the old value in RTCC_OLD_SECRET_KEYS.
"""

import base64
import functools
import hashlib
import hmac
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

from rtcc.env import env_list

logger = logging.getLogger(__name__)


def _fernet_for(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"rtcc-field-encryption").derive(
        secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


@functools.cache
def _fernet() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *env_list("RTCC_OLD_SECRET_KEYS", [])]
    return MultiFernet([_fernet_for(secret) for secret in secrets])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError("a stored credential cannot be decrypted with the current SECRET_KEY") from None


class UnreadableCredential(str):
    """What a credential reads as when no current key decrypts it: empty, and marked as such.

    One bad row (a lost key, a restored dump) must fail its own camera with a reason, not
    every query that loads it: the consent rule refuses a camera holding one.
    """

    def __new__(cls):
        return super().__new__(cls, "")


def is_unreadable(value) -> bool:
    return isinstance(value, UnreadableCredential)


class EncryptedTextField(models.TextField):
    """A text column stored encrypted; reads give the plain text back (or an UnreadableCredential)."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        try:
            return decrypt(value)
        except ValueError:
            logger.error("a stored %s cannot be decrypted with the current SECRET_KEY", self.name)
            return UnreadableCredential()

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)


# Keyed digests ------------------------------------------------------------------------
# For short secrets a person types (claim codes: about 40 bits). A plain hash of one is
# brute-forced from a database dump in minutes, and a slow password hash makes a batch of
# hundreds take minutes; an HMAC keyed from SECRET_KEY is fast and useless without the key.

KEYED_DIGEST_PREFIX = "hmac-sha256$"


def _keyed(secret: str, value: str, purpose: str) -> str:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"rtcc-{purpose}".encode()).derive(
        secret.encode()
    )
    return KEYED_DIGEST_PREFIX + hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def keyed_digest(value: str, purpose: str) -> str:
    """`hmac-sha256$<hex>` of `value` under a key for `purpose` derived from SECRET_KEY."""
    return _keyed(settings.SECRET_KEY, value, purpose)


def keyed_digest_matches(value: str, stored: str, purpose: str) -> bool:
    """Whether `stored` is the keyed digest of `value` under the current or an old SECRET_KEY."""
    if not stored.startswith(KEYED_DIGEST_PREFIX):
        return False
    secrets = [settings.SECRET_KEY, *env_list("RTCC_OLD_SECRET_KEYS", [])]
    # Every key is tried, so the time taken does not say which one matched.
    return any([hmac.compare_digest(_keyed(secret, value, purpose), stored) for secret in secrets])
