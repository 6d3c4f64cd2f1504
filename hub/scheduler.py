"""The scheduler's jobs: management commands run on every tick of ``run_scheduler``. The core lists its own; a
feature registers its command from its ``AppConfig.ready`` (the core imports no feature)."""
from __future__ import annotations

_COMMANDS: list[str] = ["publish_scheduled", "notify_action_items"]


def register(command: str) -> None:
    """Run ``command`` (a management command name, idempotent) on every tick; registering twice is harmless."""
    if command not in _COMMANDS:
        _COMMANDS.append(command)


def commands() -> list[str]:
    return list(_COMMANDS)
