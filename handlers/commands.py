"""Imports every handler module so each registers its commands, in match order.

Specific patterns come first: action commands ("action 3 done") before action
capture ("Action: …"), and the loose attendance patterns ("CG for TR") last.
"""

import importlib

MODULES = (
    "handlers.actions",
    "handlers.meetings",
    "handlers.records",
    "handlers.documents",
    "handlers.digest",
    "bot.teams.attendance_command",
    "handlers.attendance",
    "handlers.help",
)

for _name in MODULES:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as e:  # a feature module not yet installed in this build
        if e.name != _name:
            raise
