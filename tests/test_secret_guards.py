"""Development-only branches: what RL502 leaves alone inside ``if <test>:``."""

from __future__ import annotations

import libcst as cst
import pytest

from retrylint.secrets.guards import development_only


@pytest.mark.parametrize(
    "test",
    [
        "DEBUG",
        "settings.DEBUG",
        "app.debug",
        "settings.is_development()",
        "is_local()",
        "IS_DEV",
        "settings.DEBUG and user.is_staff",
        'settings.ENVIRONMENT == "development"',
        '"local" == ENV',
        "config.dev_mode",
    ],
)
def test_development_checks(test: str) -> None:
    assert development_only(cst.parse_expression(test))


@pytest.mark.parametrize(
    "test",
    [
        "not settings.DEBUG",
        "logger.isEnabledFor(logging.DEBUG)",
        "settings.TEMPLATE_DEBUG",
        "local",
        "settings.DEBUG or user.is_staff",
        'settings.ENVIRONMENT != "development"',
        'settings.ENVIRONMENT == "production"',
        "is_debug(level)",
        "token",
    ],
)
def test_other_tests_guard_production_code(test: str) -> None:
    assert not development_only(cst.parse_expression(test))
