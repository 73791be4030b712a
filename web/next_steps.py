"""What the sender or recipient of a consignment does next, in a few words, by its state."""

from __future__ import annotations

from flask_babel import lazy_gettext

from courier.models import Consignment
from courier.states import State

_STEPS = {
    State.CREATED: lazy_gettext("Print the label and drop the envelope in a drop box."),
    State.AWAITING_MATERIALS: lazy_gettext("Send the missing materials the notice lists."),
    State.AWAITING_PICKUP: lazy_gettext("Collect it from the locker with your pickup code."),
    State.AT_DESK: lazy_gettext("Collect it at the service desk with your code or ID."),
    State.REJECTED: lazy_gettext("Rejected: read the reason on its page."),
    State.MISSING: lazy_gettext("The service centre is looking for it; we will tell you."),
    State.MISROUTED: lazy_gettext("It went astray; the couriers are bringing it back."),
    State.PICKED_UP: lazy_gettext("Done: nothing more to do."),
    State.CANCELLED: lazy_gettext("Cancelled."),
    State.RETURNED_TO_SENDER: lazy_gettext("Returned to you."),
}
_ON_ITS_WAY = lazy_gettext("On its way: nothing to do now.")

#: States that need nothing more from anyone: the home page leaves them out.
CLOSED = frozenset({State.PICKED_UP, State.CANCELLED, State.RETURNED_TO_SENDER})


def next_step(consignment: Consignment) -> str:
    """The person's next step for ``consignment``."""
    return str(_STEPS.get(State(consignment.state), _ON_ITS_WAY))
