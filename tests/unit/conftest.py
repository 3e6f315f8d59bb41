"""Make `ansible_collections.docops.onlyoffice` importable when pytest runs from the repo.

The repo root is the collection root, so a temporary ansible_collections/docops/onlyoffice
symlink to it is put on sys.path (ansible-test does the same with its own tree).
"""
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _collection_root_on_path():
    if os.path.basename(os.path.dirname(os.path.dirname(ROOT))) == "ansible_collections":
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(ROOT))))
        return
    top = tempfile.mkdtemp(prefix="docops-unit-")
    os.makedirs(os.path.join(top, "ansible_collections", "docops"))
    os.symlink(ROOT, os.path.join(top, "ansible_collections", "docops", "onlyoffice"))
    sys.path.insert(0, top)


_collection_root_on_path()
