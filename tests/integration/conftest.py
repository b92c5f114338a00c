"""The lab's fixtures (tests/harness/lab_fixtures.py), shared by every test module here."""

from tests.harness.lab_fixtures import lab, lab_console  # noqa: F401
