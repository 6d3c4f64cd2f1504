"""The worker loads jieba's dictionaries and compiles the live-notes statements before its first request;
manage.py commands do not pay for them."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import time, django
django.setup()
import jieba, hub.search
print("after setup:", hub.search._tokenizer is not None, jieba.dt.initialized)
from hub.worker import warm_up
warm_up()
print("after warm-up:", hub.search._tokenizer is not None, jieba.dt.initialized)
from hub.accounts import sessions
from hub.meetings import selectors
print("statements:", len(selectors._identity_sql) == len(selectors.IDENTITY_SIZES),
      len(selectors._sweep_sql) == len(selectors.SWEEP_SIZES), len(sessions._statements) == len(sessions.MANY_SIZES))
from expert_pool.search import terms
start = time.perf_counter()
hub.search.query_terms("长三角质量月活动"); terms("上海的质量奖评审专家")
print("first segmentation: %.3f" % (time.perf_counter() - start))
"""


def test_worker_loads_the_dictionaries_before_serving_and_setup_does_not():
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env=dict(env, DJANGO_SETTINGS_MODULE="hub.settings")).stdout.splitlines()
    assert "after setup: False False" in out, out
    assert "after warm-up: True True" in out, out
    assert "statements: True True True" in out, out  # live notes' first joiner compiles nothing
    first = float(next(line for line in out if line.startswith("first segmentation")).split(":")[1])
    assert first < 0.5, out
