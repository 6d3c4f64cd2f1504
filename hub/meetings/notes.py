"""Live notes, one name for the three modules that make them up: ``protocol`` (the wire), ``log`` (the stored
updates) and ``content`` (what the notes say). The room and the consumer import the module they need; this
facade keeps ``notes.<name>`` working for the meetings services, the demo data, tests and benchmarks."""
from hub.meetings.content import *  # noqa: F403
from hub.meetings.content import FRAGMENT  # noqa: F401
from hub.meetings.log import *  # noqa: F403
from hub.meetings.protocol import *  # noqa: F403
from hub.meetings.protocol import (  # noqa: F401
    _json_depth,
    _skip_struct,
    _struct,
    _walk_blocks,
    read_var_bytes,
    read_var_uint,
)
