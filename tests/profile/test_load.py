import pytest

from gpmc_desktop.profile import ConfigError, load_profile, secrets_from_env

EXAMPLE = """
[profile]
name = "Fabrikam"
database = "/tmp/state.sqlite"
[gp]
api = "sba"
url = "https://gp01.corp.example:443/"
tenant = "DefaultTenant"
company = "Fabrikam, Inc."
auth = "ntlm"
username = "CORP\\\\svc-gp"
ca_bundle = "/path/ca.pem"
[mailchimp]
list_id = "a1b2c3d4e5"
store_id = "gp-two"
status_if_new = "transactional"
api_base = "http://127.0.0.1:9100/3.0"
"""


def write(tmp_path, text):
    path = tmp_path / "profile.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_documented_example_loads(tmp_path):
    profile = load_profile(write(tmp_path, EXAMPLE))
    assert profile.name == "Fabrikam"
    assert profile.gp.url == "https://gp01.corp.example:443"
    assert profile.gp.username == "CORP\\svc-gp"
    assert profile.gp.company == "Fabrikam, Inc."
    assert profile.mailchimp.api_base == "http://127.0.0.1:9100/3.0"
    assert profile.mailchimp.max_connections == 5
    assert profile.filters.skip_inactive is True


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace('auth = "ntlm"', 'auth = "digest"'), r"\[gp\] auth = 'digest' is not one of"),
        (lambda t: t.replace('company = "Fabrikam, Inc."\n', ""), r"\[gp\] company is required"),
        (lambda t: t.replace("https://gp01.corp.example:443/", "gp01"), r"not a server URL"),
        (lambda t: t.replace('"transactional"', '"maybe"'), r"status_if_new"),
        (lambda t: t + 'password = "x"\n', r"secrets do not belong"),
        (
            lambda t: t.replace('auth = "ntlm"', 'auth = "basic"').replace("https://", "http://"),
            r"in the clear",
        ),
        (lambda t: t.replace("[mailchimp]", "[mailchimp]\nmax_connections = 11"), r"1 to 10"),
        (lambda t: "gp = 3\n" + t.replace("[gp]", "[gpx]"), r"\[gp\] must be a table"),
    ],
)
def test_bad_profiles_are_named_plainly(tmp_path, edit, message):
    with pytest.raises(ConfigError, match=message):
        load_profile(write(tmp_path, edit(EXAMPLE)))


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_profile(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_profile(write(tmp_path, "[gp\nurl="))


def test_secrets_come_from_environment_and_hide_in_repr():
    secrets = secrets_from_env({"GPMC_GP_PASSWORD": "pw-123", "GPMC_MAILCHIMP_API_KEY": " abc-us6 "})
    assert secrets.mailchimp_api_key == "abc-us6"
    assert "pw-123" not in repr(secrets)
    with pytest.raises(ConfigError, match="GPMC_MAILCHIMP_API_KEY"):
        secrets_from_env({"GPMC_GP_PASSWORD": "x"})
