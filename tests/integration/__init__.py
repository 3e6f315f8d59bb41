# A package, so that pytest names these modules integration.test_*: test_nginx_site.py is also the
# name of a unit test module, and both run in one pytest session.
