"""Shared fixtures of the integration tests."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="session")
def collections(tmp_path_factory):
    """A collections path where docops.onlyoffice is this working copy (for ANSIBLE_COLLECTIONS_PATH)."""
    top = tmp_path_factory.mktemp("collections")
    os.makedirs(top / "ansible_collections" / "docops")
    os.symlink(ROOT, top / "ansible_collections" / "docops" / "onlyoffice")
    return top
