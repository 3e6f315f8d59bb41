"""The image itself: named as a test double, and shaped like onlyoffice/documentserver."""
import json

from simhelpers import docker

TEST_DOUBLE = "TEST DOUBLE of onlyoffice/documentserver — not the real Document Server"


def image_config(tag):
    return json.loads(docker("image", "inspect", tag).stdout)[0]["Config"]


def test_labels_say_test_double(sim_image):
    labels = image_config(sim_image)["Labels"]
    assert labels["org.opencontainers.image.title"] == TEST_DOUBLE
    assert labels["org.opencontainers.image.description"].startswith(TEST_DOUBLE)
    assert labels["docops.simulator"] == "true"


def test_volumes_and_ports_match_the_real_image(sim_image):
    config = image_config(sim_image)
    assert set(config["Volumes"]) == {
        "/var/log/onlyoffice", "/var/www/onlyoffice/Data", "/var/lib/onlyoffice", "/var/lib/postgresql",
        "/var/lib/rabbitmq", "/var/lib/redis", "/usr/share/fonts/truetype/custom",
    }
    assert set(config["ExposedPorts"]) == {"80/tcp", "443/tcp"}
