"""Fixtures for the simulator tests: the image, one shared container, a per-module factory.

Run: .venv/bin/python -m pytest tests/sim -q -p no:cacheprovider
"""
import os
import sys

import pytest

from simhelpers import JWT_SECRET, LINK_SECRET, SimFactory

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bed"))
import images  # noqa: E402  (tests/bed is not a package)


@pytest.fixture(scope="session")
def sim_image():
    return images.ensure("documentserver-sim")


@pytest.fixture(scope="session")
def shared_sim(sim_image):
    """One container for the tests that only read from it: JWT on, known secrets."""
    factory = SimFactory(sim_image)
    try:
        sim = factory.start({"JWT_SECRET": JWT_SECRET, "SECURE_LINK_SECRET": LINK_SECRET})
        sim.wait_healthy()
        yield sim
    finally:
        factory.close()


@pytest.fixture(scope="module")
def sims(sim_image):
    """Starts containers for one test module; all of them are removed when the module ends."""
    factory = SimFactory(sim_image)
    try:
        yield factory
    finally:
        factory.close()
