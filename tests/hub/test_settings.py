"""Production configuration: Django's deployment checks pass, missing variables stop start-up, .env.example is complete.

Each check runs manage.py in a subprocess with a clean environment, as an operator's service manager would.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

from hub import env

BASE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_ENV": "production",
    # A long random-looking key: the deploy check rejects short or "django-insecure-" keys.
    "DJANGO_SECRET_KEY": "k3Vq9-tZ1rW_8yLb0nX4pHc7sGd2mJf6aUe5oRi1TzQw8vYxBn3KlPj0hDgSa9Fc2eMu4",
    "DJANGO_ALLOWED_HOSTS": "hub.example.org",
    "DATABASE_URL": "postgres://hub:secret@db.example.org:5432/hub",
    "REDIS_URL": "redis://redis.example.org:6379/0",
}


def manage(*args, **variables):
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": str(BASE_DIR)}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env={**clean, **variables},
                          capture_output=True, text=True, timeout=120)


def test_deploy_check_is_clean_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output.upper() and "System check identified no issues" in output, output


def test_missing_secret_key_stops_start_up_with_one_sentence_naming_it():
    variables = {name: value for name, value in PRODUCTION.items() if name != "DJANGO_SECRET_KEY"}
    result = manage("check", **variables)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "DJANGO_SECRET_KEY" in lines[0] and "Traceback" not in result.stderr


def test_every_production_variable_is_required():
    for name in env.PRODUCTION_REQUIRED:
        variables = {key: value for key, value in PRODUCTION.items() if key != name}
        result = manage("check", **variables)
        assert result.returncode != 0, name
        assert name in result.stderr, (name, result.stderr)


def test_env_example_lists_exactly_the_variables_the_hub_reads():
    text = (BASE_DIR / ".env.example").read_text(encoding="utf-8")
    listed = re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.M)
    assert len(listed) == len(set(listed)), "a variable is listed twice"
    assert set(listed) == set(env.VARIABLES)


def project_sources():
    """The hub's own Python files (not tests, virtualenvs or dependencies)."""
    skip = {".git", ".venv", "venv", "node_modules", "tests", "staticfiles", "media", "test-artifacts"}
    for root, dirs, files in os.walk(BASE_DIR):
        dirs[:] = [d for d in dirs if d not in skip and not d.startswith(".")]
        yield from (Path(root) / name for name in files if name.endswith(".py"))


def test_the_hub_reads_no_undeclared_environment_variable():
    undeclared = set()
    for path in project_sources():
        source = path.read_text(encoding="utf-8")
        undeclared |= {name for name in re.findall(r"""os\.environ(?:\.get)?[\[(]\s*["']([A-Z_]+)""", source)
                       if name not in env.VARIABLES and name not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ENV"}}
        undeclared |= set(re.findall(r"""\benv\.(?:get|require)\(\s*["']([A-Z_]+)""", source)) - set(env.VARIABLES)
    assert undeclared == set(), "declare these in hub/env.py VARIABLES and .env.example"
