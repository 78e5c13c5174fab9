"""Fixtures of the contact-center numerics tests (no database)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.contactcenter.series import load_bank_extract


@pytest.fixture(scope="session")
def bank_extract() -> pd.DataFrame:
    """fpp2::calls, 20 weekdays of five-minute counts (15 Sep - 10 Oct 2003)."""
    return load_bank_extract()
