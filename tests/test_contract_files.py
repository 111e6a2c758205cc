"""The bundled API contracts are the published ones, byte for byte."""

import hashlib

import pytest

from gpmc_desktop.resources import contract_path

PUBLISHED = {
    "openapi.yaml": "ead44a78196ce7b2aaf6af7257753a22888c90654f058196972dcd702ad3cc7a",
    "DynamicsGP.wsdl": "00ae7c3996db84dc3510357fd8fbdaadbc8bc88add2005d63a7898185257dd96",
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_bundled_contract_matches_published_checksum(name):
    digest = hashlib.sha256(contract_path(name).read_bytes()).hexdigest()
    assert digest == PUBLISHED[name]


def test_missing_contract_is_named():
    with pytest.raises(FileNotFoundError, match=r"nope\.yaml"):
        contract_path("nope.yaml")
