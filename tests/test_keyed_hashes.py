"""What Pouls keeps instead of a visitor's address or browser session: Django's keyed hash
(``salted_hmac``), which changes with the secret key, so a database copy alone reverses nothing."""

from django.test import override_settings

from campaigns.rate_windows import visitor_key
from campaigns.tracking import session_hash

ADDRESS = "198.51.100.7"
SESSION = "8d0c1f6e-4a7b-4c55-9f7e-2f5a1b3c4d5e"


def test_a_visitors_address_is_kept_as_a_keyed_hash():
    kept = visitor_key(ADDRESS)
    with override_settings(SECRET_KEY="another secret key, another deployment"):
        elsewhere = visitor_key(ADDRESS)
    assert kept == visitor_key(ADDRESS)  # the same visitor counts in the same window
    assert len(kept) == 64 and ADDRESS not in kept
    assert elsewhere != kept


def test_a_browser_session_is_kept_as_a_keyed_hash_of_its_client_account():
    alpha = session_hash(SESSION, "c_alpha")
    with override_settings(SECRET_KEY="another secret key, another deployment"):
        elsewhere = session_hash(SESSION, "c_alpha")
    assert alpha == session_hash(SESSION, "c_alpha")  # a reload is recognised
    assert len(alpha) == 32 and SESSION not in alpha
    assert session_hash(SESSION, "c_beta") != alpha  # no session is followed across clients
    assert elsewhere != alpha
