"""API keys name their data centre; members are addressed by the MD5 of the lower-cased e-mail."""

from __future__ import annotations

import hashlib

import pytest

from gpmc_desktop.demo.mailchimp_sim import subscriber_hash as sim_subscriber_hash
from gpmc_desktop.mailchimp.keys import BadApiKey, api_base_for, datacenter, subscriber_hash

KEY = "0123456789abcdef0123456789abcdef-us6"


@pytest.mark.parametrize(
    ("key", "dc"),
    [(KEY, "us6"), (f"  {KEY}\n", "us6"), ("abcdef0123456789abcdef0123456789-us21", "us21"),
     ("0123456789abcdef0123456789abcdef-eu1", "eu1")],
)
def test_datacenter_from_key(key: str, dc: str) -> None:
    assert datacenter(key) == dc


@pytest.mark.parametrize(
    "key",
    ["", "us6", "0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef-", "0123-us6",
     "0123456789ABCDEF0123456789ABCDEF-us6", "zzzz456789abcdef0123456789abcdef-us6",
     "0123456789abcdef0123456789abcdef-us6-us7", "0123456789abcdef0123456789abcdef-6us"],
)
def test_malformed_keys_say_where_to_find_a_real_one(key: str) -> None:
    with pytest.raises(BadApiKey) as caught:
        datacenter(key)
    assert "Profile > Extras > API keys" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_api_base_for() -> None:
    assert api_base_for(KEY) == "https://us6.api.mailchimp.com/3.0"
    assert api_base_for("abcdef0123456789abcdef0123456789-us21") == "https://us21.api.mailchimp.com/3.0"
    assert api_base_for(KEY, "http://127.0.0.1:8123/3.0/") == "http://127.0.0.1:8123/3.0"
    with pytest.raises(BadApiKey):
        api_base_for("not-a-key")


@pytest.mark.parametrize("email", ["Jane.Doe@Fabrikam.COM", "  jane.doe@fabrikam.com ", "jane.doe@fabrikam.com"])
def test_subscriber_hash_is_md5_of_the_trimmed_lower_case_address(email: str) -> None:
    expected = hashlib.md5(b"jane.doe@fabrikam.com").hexdigest()
    assert subscriber_hash(email) == expected
    assert sim_subscriber_hash(email) == expected  # the simulator (Mailchimp's rule) agrees


def test_subscriber_hash_of_non_ascii_is_utf8() -> None:
    assert subscriber_hash("José@Compañía.com") == hashlib.md5("josé@compañía.com".encode()).hexdigest()
