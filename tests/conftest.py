"""Fixtures shared by the unit tests (tests/browser/conftest.py adds the browser's own)."""
import matplotlib

matplotlib.use("Agg")                      # no display: figures are drawn off screen

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    """Every test starts with no open matplotlib figure and leaves none behind."""
    yield
    plt.close("all")


@pytest.fixture
def one_thread():
    """Run the test with one torch thread (tiny models: fastest, and steady on a busy machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
