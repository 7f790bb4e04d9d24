"""Fixtures: the people of the approval chain and an estimate of Sì Lở Lầu (the same as the
notification tests')."""

from tests.notifications.conftest import estimate, lived, people  # noqa: F401 (fixtures)
