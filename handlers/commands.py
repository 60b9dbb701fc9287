"""Imports every handler module so each registers its commands, in match order.

Specific patterns come first: action commands ("action 3 done") before action
capture ("Action: …"), and the loose attendance patterns ("CG for TR") last.
"""

from handlers import actions, meetings, records  # noqa: F401, I001 - the order is the match order
from handlers import agenda  # noqa: F401
from handlers import documents, digest  # noqa: F401
from handlers import year_report_command  # noqa: F401
from handlers import attendance_import  # noqa: F401
from handlers import asking  # noqa: F401
from handlers import people  # noqa: F401 - before attendance: `guests` is no attendance list
from handlers import attendance  # noqa: F401
from handlers import help  # noqa: F401
