"""Imports every handler module so each registers its commands, in match order.

Specific patterns come first: action commands ("action 3 done") before action
capture ("Action: …"), and the loose attendance patterns ("CG for TR") last.
"""

from handlers import (  # noqa: F401
    actions,
    attendance,
    help,
    meetings,
    records,
)
