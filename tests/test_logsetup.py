import logging

from gpmc_desktop.logsetup import LOG_NAME, MASK, register_api_key, register_secret, setup_logging


def test_registered_secrets_are_masked_in_messages_and_tracebacks(tmp_path):
    folder = setup_logging(tmp_path)
    register_secret("Hunter2-Secret")
    log = logging.getLogger("gpmc_desktop.test")
    log.info("connecting with %s", "Hunter2-Secret")
    try:
        raise RuntimeError("auth failed for password Hunter2-Secret")
    except RuntimeError:
        log.exception("boom")
    for handler in logging.getLogger("gpmc_desktop").handlers:
        handler.flush()
    text = (folder / LOG_NAME).read_text(encoding="utf-8")
    assert "Hunter2-Secret" not in text
    assert text.count(MASK) >= 3
    assert "RuntimeError" in text  # the traceback is kept, only the secret is masked


def test_an_api_keys_part_before_the_dash_is_masked_on_its_own(tmp_path):
    folder = setup_logging(tmp_path)
    key = "0123456789abcdef0123456789abcdef-us6"
    register_api_key(key)
    logging.getLogger("gpmc_desktop.test").warning("account %s refused", key.split("-")[0])
    for handler in logging.getLogger("gpmc_desktop").handlers:
        handler.flush()
    text = (folder / LOG_NAME).read_text(encoding="utf-8")
    assert "0123456789abcdef0123456789abcdef" not in text and f"account {MASK} refused" in text
