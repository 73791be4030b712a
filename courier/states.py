"""The consignment state machine: one transition table, in one place.

A consignment's state follows from its custody events. Each event kind lists the states it may
follow and the state it leads to; guards decide between the cross-campus and the same-campus
paths (same-campus consignments skip the shuttle legs). Anything else is refused with a reason
the person at the scanner can read.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from core.errors import N_


class State(enum.StrEnum):
    CREATED = "created"
    DEPOSITED = "deposited"
    COLLECTED = "collected"
    IN_TRANSIT = "in_transit"
    #: Unloaded at a hub where its plan changes bus: it waits there for the next leg.
    AT_HUB = "at_hub"
    ARRIVED = "arrived"
    SORTED = "sorted"
    WITH_AGENT = "with_agent"
    AT_DEPARTMENT = "at_department"
    AWAITING_SIGNATURE = "awaiting_signature"
    AWAITING_MATERIALS = "awaiting_materials"
    APPROVED = "approved"
    REJECTED = "rejected"
    RESULT_READY = "result_ready"
    RETURN_IN_TRANSIT = "return_in_transit"
    RETURN_ARRIVED = "return_arrived"
    AWAITING_PICKUP = "awaiting_pickup"
    AT_DESK = "at_desk"
    PICKED_UP = "picked_up"
    MISROUTED = "misrouted"
    MISSING = "missing"
    RETURNED_TO_SENDER = "returned_to_sender"
    CANCELLED = "cancelled"


class Kind(enum.StrEnum):
    """What happened at one hop."""

    CREATED = "created"
    DEPOSITED = "deposited"
    COLLECTED = "collected"
    LOADED = "loaded"
    UNLOADED = "unloaded"
    #: Unloaded at a hub to change bus as planned (not a misroute): the next leg follows.
    TRANSFERRED = "transferred"
    SORTED = "sorted"
    AGENT_ACCEPTED = "agent_accepted"
    REASSIGNED = "reassigned"
    HANDED_TO_DEPARTMENT = "handed_to_department"
    #: 联审联办: one department of several has handled the papers and given them back.
    RETURNED_BY_DEPARTMENT = "returned_by_department"
    AWAITING_SIGNATURE = "awaiting_signature"
    MATERIALS_REQUESTED = "materials_requested"
    MATERIALS_RECEIVED = "materials_received"
    APPROVED = "approved"
    REJECTED = "rejected"
    RESULT_READY = "result_ready"
    PLACED_FOR_PICKUP = "placed_for_pickup"
    PLACED_AT_DESK = "placed_at_desk"
    PICKED_UP = "picked_up"
    #: The recipient let a colleague collect: a fresh code went to the colleague's phone.
    HANDED_TO_COLLEAGUE = "handed_to_colleague"
    MISSED = "missed"
    DAMAGED = "damaged"
    MISSING = "missing"
    MISROUTED = "misrouted"
    RETURNED_TO_SENDER = "returned_to_sender"
    CANCELLED = "cancelled"


class Leg(enum.StrEnum):
    OUTBOUND = "outbound"  # from the submitter to the department
    RETURN = "return"  # the result, from the department to the pickup campus


TERMINAL = frozenset({State.PICKED_UP, State.CANCELLED})
#: States in which the envelope is somewhere in the network (it can go missing, be damaged).
IN_NETWORK = frozenset(State) - TERMINAL - {State.CREATED}
#: Event kinds that record a fact without changing the state.
ANNOTATIONS = frozenset({Kind.MISSED, Kind.DAMAGED, Kind.REASSIGNED, Kind.HANDED_TO_COLLEAGUE})
#: The agent's working states: the consignment is with a clerk, who owns it.
AGENT_STATES = frozenset(
    {
        State.WITH_AGENT,
        State.AT_DEPARTMENT,
        State.AWAITING_SIGNATURE,
        State.AWAITING_MATERIALS,
        State.APPROVED,
        State.REJECTED,
    }
)
#: Processing steps a clerk records on a consignment they own.
AGENT_STEPS = (
    Kind.HANDED_TO_DEPARTMENT,
    Kind.AWAITING_SIGNATURE,
    Kind.RETURNED_BY_DEPARTMENT,
    Kind.APPROVED,
    Kind.REJECTED,
    Kind.MATERIALS_REQUESTED,
    Kind.MATERIALS_RECEIVED,
    Kind.RESULT_READY,
)
#: What a scanner's ``kind`` records.
SCAN_KINDS = {
    "deposit": Kind.DEPOSITED,
    "collect": Kind.COLLECTED,
    "load": Kind.LOADED,
    "unload": Kind.UNLOADED,
    "transfer": Kind.TRANSFERRED,
    "sort": Kind.SORTED,
}


@dataclass(frozen=True)
class Situation:
    """What the guards need to know about a consignment and where the event happened."""

    state: State
    leg: Leg
    origin_campus: int
    department_campus: int
    pickup_campus: int
    current_campus: int | None
    event_campus: int | None
    #: Where the ride it is on ends to change bus, by its plan (None: the ride goes all the way).
    transfer_campus: int | None = None
    #: 联审联办: how many departments the papers pass through in turn (0: the one department
    #: handles them alone) and how many of them have given the papers back.
    joint_steps: int = 0
    joint_done: int = 0

    @property
    def joint(self) -> bool:
        return self.joint_steps > 0

    @property
    def joint_left(self) -> int:
        """Departments still to handle the papers."""
        return max(0, self.joint_steps - self.joint_done)

    @property
    def outbound_crosses_campus(self) -> bool:
        return self.origin_campus != self.department_campus

    @property
    def return_crosses_campus(self) -> bool:
        return self.department_campus != self.pickup_campus

    @property
    def expected_campus(self) -> int:
        """Where the envelope is heading now."""
        return self.pickup_campus if self.leg is Leg.RETURN else self.department_campus


@dataclass(frozen=True)
class Refusal:
    """Why an event cannot happen now: a message id and its parameters (see core.errors)."""

    code: str
    message: str
    params: dict[str, object]


Guard = Callable[[Situation], "State | Refusal"]


def _refuse(code: str, message: str, **params: object) -> Refusal:
    return Refusal(code, message, params)


def _load_outbound(s: Situation) -> State | Refusal:
    if not s.outbound_crosses_campus:
        return _refuse(
            "same_campus", N_("This envelope stays on its campus: sort it, do not load it.")
        )
    return State.IN_TRANSIT


def _load_return(s: Situation) -> State | Refusal:
    if not s.return_crosses_campus:
        return _refuse(
            "same_campus",
            N_("The result is picked up on this campus: place it for pickup, do not load it."),
        )
    return State.RETURN_IN_TRANSIT


def _load_by_leg(s: Situation) -> State | Refusal:
    return State.RETURN_IN_TRANSIT if s.leg is Leg.RETURN else State.IN_TRANSIT


def _load_returned(s: Situation) -> State | Refusal:
    if s.current_campus == s.pickup_campus:
        return _refuse(
            "same_campus", N_("The envelope is already back on its campus: place it for pickup.")
        )
    return State.RETURN_IN_TRANSIT


def _planned_change(s: Situation) -> bool:
    """Whether an unload here is the change of bus its plan makes (an unload without a place
    is taken where the ride is planned to end)."""
    if s.transfer_campus is None or s.transfer_campus == s.expected_campus:
        return False
    return s.event_campus in (None, s.transfer_campus)


def _unload(s: Situation) -> State | Refusal:
    if _planned_change(s):
        return State.AT_HUB
    if s.event_campus is not None and s.event_campus != s.expected_campus:
        return State.MISROUTED
    return State.RETURN_ARRIVED if s.leg is Leg.RETURN else State.ARRIVED


def _transfer(s: Situation) -> State | Refusal:
    if not _planned_change(s):
        return _refuse(
            "no_transfer_planned",
            N_("No change of bus is planned here for this envelope: unload it instead."),
        )
    return State.AT_HUB


def _sort_same_campus(s: Situation) -> State | Refusal:
    if s.outbound_crosses_campus:
        return _refuse(
            "not_arrived", N_("This envelope goes to another campus: load it on the shuttle first.")
        )
    return State.SORTED


def _sort_found(s: Situation) -> State | Refusal:
    return State.RETURN_ARRIVED if s.leg is Leg.RETURN else State.SORTED


def _place_same_campus(s: Situation) -> State | Refusal:
    if s.return_crosses_campus:
        return _refuse(
            "not_arrived", N_("The result goes to another campus: load it on the shuttle first.")
        )
    return State.AWAITING_PICKUP


def _place_returned(s: Situation) -> State | Refusal:
    if s.current_campus not in (None, s.pickup_campus):
        return _refuse(
            "not_arrived", N_("The envelope is not back on its campus yet: load it first.")
        )
    return State.AWAITING_PICKUP


def _place_same_campus_desk(s: Situation) -> State | Refusal:
    placed = _place_same_campus(s)
    return State.AT_DESK if placed is State.AWAITING_PICKUP else placed


def _place_returned_desk(s: Situation) -> State | Refusal:
    placed = _place_returned(s)
    return State.AT_DESK if placed is State.AWAITING_PICKUP else placed


def _hand_to_department(s: Situation) -> State | Refusal:
    if s.joint and not s.joint_left:
        return _refuse(
            "joint_complete",
            N_("Every department has handled it and given it back: record the result."),
        )
    return State.AT_DEPARTMENT


def _returned_by_department(s: Situation) -> State | Refusal:
    if not s.joint:
        return _refuse(
            "not_joint",
            N_("Only an item handled by several departments in turn is given back between them."),
        )
    return State.WITH_AGENT


def _approve(s: Situation) -> State | Refusal:
    if s.joint:
        return _refuse(
            "joint_needs_return",
            N_("Several departments handle this item in turn: record that this one gave it back."),
        )
    return State.APPROVED


def _result_with_agent(s: Situation) -> State | Refusal:
    if s.joint_left:
        return _refuse(
            "joint_incomplete",
            N_("%(left)s more department(s) must handle it before the result is ready."),
            left=s.joint_left,
        )
    return State.RESULT_READY


def _to(state: State) -> Guard:
    return lambda _s: state


BEFORE_COLLECTION = (State.CREATED, State.DEPOSITED)

#: kind -> {state it may follow: guard giving the next state or a refusal}
TRANSITIONS: dict[Kind, dict[State, Guard]] = {
    Kind.DEPOSITED: {State.CREATED: _to(State.DEPOSITED)},
    Kind.COLLECTED: {State.DEPOSITED: _to(State.COLLECTED), State.MISSING: _to(State.COLLECTED)},
    Kind.LOADED: {
        State.COLLECTED: _load_outbound,
        State.RESULT_READY: _load_return,
        State.AT_HUB: _load_by_leg,
        State.MISROUTED: _load_by_leg,
        State.MISSING: _load_by_leg,
        State.RETURNED_TO_SENDER: _load_returned,
    },
    Kind.UNLOADED: {
        State.IN_TRANSIT: _unload,
        State.RETURN_IN_TRANSIT: _unload,
        State.MISSING: _unload,
    },
    Kind.TRANSFERRED: {
        State.IN_TRANSIT: _transfer,
        State.RETURN_IN_TRANSIT: _transfer,
        State.MISSING: _transfer,
    },
    Kind.SORTED: {
        State.ARRIVED: _to(State.SORTED),
        State.COLLECTED: _sort_same_campus,
        State.MISSING: _sort_found,
    },
    Kind.AGENT_ACCEPTED: {State.SORTED: _to(State.WITH_AGENT)},
    Kind.REASSIGNED: {state: _to(state) for state in AGENT_STATES},
    Kind.HANDED_TO_DEPARTMENT: {State.WITH_AGENT: _hand_to_department},
    Kind.RETURNED_BY_DEPARTMENT: {
        State.AT_DEPARTMENT: _returned_by_department,
        State.AWAITING_SIGNATURE: _returned_by_department,
    },
    Kind.AWAITING_SIGNATURE: {State.AT_DEPARTMENT: _to(State.AWAITING_SIGNATURE)},
    Kind.MATERIALS_REQUESTED: {
        state: _to(State.AWAITING_MATERIALS)
        for state in (State.WITH_AGENT, State.AT_DEPARTMENT, State.AWAITING_SIGNATURE)
    },
    # With the materials complete the clerk takes the file up again and hands it over anew.
    Kind.MATERIALS_RECEIVED: {State.AWAITING_MATERIALS: _to(State.WITH_AGENT)},
    Kind.APPROVED: {
        State.AT_DEPARTMENT: _approve,
        State.AWAITING_SIGNATURE: _approve,
    },
    Kind.REJECTED: {
        state: _to(State.REJECTED)
        for state in (State.WITH_AGENT, State.AT_DEPARTMENT, State.AWAITING_SIGNATURE)
    },
    # Straight from WITH_AGENT: items the agent desk settles itself, without a department.
    Kind.RESULT_READY: {
        State.WITH_AGENT: _result_with_agent,
        State.APPROVED: _to(State.RESULT_READY),
        State.REJECTED: _to(State.RESULT_READY),
    },
    Kind.PLACED_FOR_PICKUP: {
        State.RESULT_READY: _place_same_campus,
        State.RETURN_ARRIVED: _to(State.AWAITING_PICKUP),
        State.RETURNED_TO_SENDER: _place_returned,
    },
    Kind.PLACED_AT_DESK: {
        State.RESULT_READY: _place_same_campus_desk,
        State.RETURN_ARRIVED: _to(State.AT_DESK),
        State.RETURNED_TO_SENDER: _place_returned_desk,
        # Uncollected from the locker: moved to the service desk.
        State.AWAITING_PICKUP: _to(State.AT_DESK),
    },
    Kind.PICKED_UP: {
        State.AWAITING_PICKUP: _to(State.PICKED_UP),
        State.AT_DESK: _to(State.PICKED_UP),
    },
    Kind.HANDED_TO_COLLEAGUE: {State.AWAITING_PICKUP: _to(State.AWAITING_PICKUP)},
    Kind.MISSING: {state: _to(State.MISSING) for state in IN_NETWORK - {State.MISSING}},
    Kind.MISROUTED: {
        state: _to(State.MISROUTED)
        for state in (
            State.IN_TRANSIT,
            State.AT_HUB,
            State.ARRIVED,
            State.SORTED,
            State.RETURN_IN_TRANSIT,
            State.RETURN_ARRIVED,
        )
    },
    Kind.RETURNED_TO_SENDER: {
        state: _to(State.RETURNED_TO_SENDER)
        for state in (
            State.DEPOSITED,
            State.COLLECTED,
            State.ARRIVED,
            State.SORTED,
            *AGENT_STATES,
            State.RESULT_READY,
            State.MISROUTED,
            State.RETURN_ARRIVED,
        )
    },
    Kind.CANCELLED: {state: _to(State.CANCELLED) for state in BEFORE_COLLECTION},
    Kind.DAMAGED: {state: _to(state) for state in IN_NETWORK},
    Kind.MISSED: {
        state: _to(state)
        for state in (
            State.COLLECTED,
            State.AT_HUB,
            State.RESULT_READY,
            State.MISROUTED,
            State.RETURNED_TO_SENDER,
        )
    },
}

#: The states an event kind leads to: the same kind again there (a second scan of the same hop)
#: is "already done", not an error.
LEADS_TO: dict[Kind, frozenset[State]] = {
    Kind.DEPOSITED: frozenset({State.DEPOSITED}),
    Kind.COLLECTED: frozenset({State.COLLECTED}),
    Kind.LOADED: frozenset({State.IN_TRANSIT, State.RETURN_IN_TRANSIT}),
    Kind.UNLOADED: frozenset({State.ARRIVED, State.RETURN_ARRIVED}),
    Kind.TRANSFERRED: frozenset({State.AT_HUB}),
    Kind.SORTED: frozenset({State.SORTED}),
    Kind.AGENT_ACCEPTED: frozenset(AGENT_STATES),
    Kind.HANDED_TO_DEPARTMENT: frozenset({State.AT_DEPARTMENT}),
    Kind.AWAITING_SIGNATURE: frozenset({State.AWAITING_SIGNATURE}),
    Kind.MATERIALS_REQUESTED: frozenset({State.AWAITING_MATERIALS}),
    Kind.APPROVED: frozenset({State.APPROVED}),
    Kind.REJECTED: frozenset({State.REJECTED}),
    Kind.RESULT_READY: frozenset({State.RESULT_READY}),
    Kind.PLACED_FOR_PICKUP: frozenset({State.AWAITING_PICKUP}),
    Kind.PLACED_AT_DESK: frozenset({State.AT_DESK}),
    Kind.MISSING: frozenset({State.MISSING}),
    Kind.MISROUTED: frozenset({State.MISROUTED}),
    Kind.RETURNED_TO_SENDER: frozenset({State.RETURNED_TO_SENDER}),
}

#: Kinds whose event moves the consignment onto the return leg.
STARTS_RETURN = frozenset({Kind.RESULT_READY, Kind.RETURNED_TO_SENDER})


def next_state(kind: Kind, situation: Situation) -> State | Refusal:
    """The state after ``kind`` happens in ``situation``, or why it cannot happen."""
    state = situation.state
    if state is State.PICKED_UP:
        return _refuse("picked_up", N_("This envelope was already picked up on %(when)s."))
    if state is State.CANCELLED:
        return _refuse("cancelled", N_("This envelope was cancelled on %(when)s."))
    guard = TRANSITIONS.get(kind, {}).get(state)
    if guard is None:
        if kind is Kind.CANCELLED:
            return _refuse(
                "too_late_to_cancel",
                N_("Only an envelope not yet collected can be cancelled; it is %(state)s."),
            )
        return _refuse(
            "out_of_order",
            N_("Cannot record %(kind)s now: the envelope is %(state)s since %(when)s."),
        )
    return guard(situation)


def happy_path(situation: Situation) -> list[Kind]:
    """The hops still ahead on the ordinary journey, for the timeline's "route ahead"."""
    outbound = [Kind.DEPOSITED, Kind.COLLECTED]
    if situation.outbound_crosses_campus:
        outbound += [Kind.LOADED, Kind.UNLOADED]
    outbound += [Kind.SORTED, Kind.AGENT_ACCEPTED]
    # Where the departments' handling begins: one handover and its decision, or for 联审联办 a
    # handover and a return for each department still to come.
    handling = len(outbound)
    if situation.joint:
        outbound += [Kind.HANDED_TO_DEPARTMENT, Kind.RETURNED_BY_DEPARTMENT] * situation.joint_left
    else:
        outbound += [Kind.HANDED_TO_DEPARTMENT, Kind.APPROVED]
    outbound.append(Kind.RESULT_READY)
    back = [Kind.LOADED, Kind.UNLOADED] if situation.return_crosses_campus else []
    back += [Kind.PLACED_FOR_PICKUP, Kind.PICKED_UP]
    position = {
        State.CREATED: 0,
        State.DEPOSITED: 1,
        State.COLLECTED: 2,
        State.IN_TRANSIT: 3,
        State.ARRIVED: 4,
        State.SORTED: handling - 1,
        State.WITH_AGENT: handling,
        State.AWAITING_MATERIALS: handling,
        State.AT_DEPARTMENT: handling + 1,
        State.AWAITING_SIGNATURE: handling + 1,
        State.APPROVED: len(outbound) - 1,
        State.REJECTED: len(outbound) - 1,
    }
    state = situation.state
    if state is State.AT_HUB:
        # Waiting for its next bus: the load and unload of that leg are still ahead.
        return back if situation.leg is Leg.RETURN else outbound[2:] + back
    if state in position:
        return outbound[position[state] :] + back
    later = {
        State.RESULT_READY: 0,
        State.RETURN_IN_TRANSIT: 1,
        State.RETURN_ARRIVED: 2,
        State.AWAITING_PICKUP: len(back) - 1,
        State.AT_DESK: len(back) - 1,
    }
    if state in later:
        return back[later[state] :]
    return []
