"""In CI a skipped PostgreSQL, Redis or browser test fails the run; elsewhere it is an ordinary skip."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
SAMPLE = '''
import pytest

@pytest.mark.redis
def test_needs_redis():
    pass

@pytest.mark.browser
def test_skips_itself():
    pytest.skip("no browser here")

def test_plain_skip():
    pytest.skip("nothing to do with infrastructure")
'''


@pytest.fixture
def run_sample(tmp_path):
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    # The hooks under test, without the rest of the suite's conftest.
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_collection_modifyitems, pytest_runtest_makereport  # noqa: F401\n")

    def run(*options, **variables):
        # Also without the variables of an outer pytest-xdist run: the sample decides its own parallelism.
        environment = {key: value for key, value in os.environ.items()
                       if key not in ("CI", "REDIS_URL") and not key.startswith("PYTEST_XDIST")}
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-c", str(BASE_DIR / "pytest.ini"), "--rootdir", str(BASE_DIR),
             "-q", *options, str(tmp_path / "test_sample.py")],
            cwd=BASE_DIR, env={**environment, **variables}, capture_output=True, text=True, timeout=300)

    return run


def test_infrastructure_skips_fail_in_ci(run_sample):
    result = run_sample(CI="true")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed, 1 skipped, 1 error" in result.stdout, result.stdout  # the marker skip happens in set-up
    assert "CI=true: a test marked redis must run" in result.stdout
    assert "CI=true: a test marked browser must run" in result.stdout


def test_infrastructure_skips_fail_in_ci_in_parallel_workers_too(run_sample):
    # make test runs the suite with pytest-xdist: the reports are rewritten in the workers, then sent back.
    result = run_sample("-n", "2", CI="true")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed, 1 skipped, 1 error" in result.stdout, result.stdout
    assert "CI=true: a test marked redis must run" in result.stdout
    assert "CI=true: a test marked browser must run" in result.stdout


def test_infrastructure_skips_are_skips_outside_ci(run_sample):
    result = run_sample()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 skipped" in result.stdout, result.stdout
