"""Every transition of the state machine and every refusal, written out as the specification."""

import itertools

import pytest

from courier.states import (
    AGENT_STATES,
    IN_NETWORK,
    TERMINAL,
    TRANSITIONS,
    Kind,
    Leg,
    Refusal,
    Situation,
    State,
    happy_path,
    next_state,
)

NH, XL, DJ = 1, 2, 3
S = State
K = Kind


def situation(
    state,
    *,
    origin=NH,
    department=XL,
    pickup=NH,
    current=None,
    at=None,
    leg=None,
    change=None,
    joint=0,
    done=0,
):
    if leg is None:
        leg = Leg.RETURN if state in RETURN_STATES else Leg.OUTBOUND
    return Situation(state, leg, origin, department, pickup, current, at, change, joint, done)


RETURN_STATES = {
    S.RESULT_READY,
    S.RETURN_IN_TRANSIT,
    S.RETURN_ARRIVED,
    S.AWAITING_PICKUP,
    S.AT_DESK,
}
WORKING = (S.WITH_AGENT, S.AT_DEPARTMENT, S.AWAITING_SIGNATURE)
SAME = {"origin": XL, "department": XL, "pickup": XL}
#: 联审联办 with two departments: none, one or both of them have given the papers back.
JOINT_START = {"joint": 2, "done": 0}
JOINT_HALF = {"joint": 2, "done": 1}
JOINT_DONE = {"joint": 2, "done": 2}

# (state, kind, situation overrides, expected state or refusal code)
CASES = [
    (S.CREATED, K.DEPOSITED, {}, S.DEPOSITED),
    (S.DEPOSITED, K.COLLECTED, {}, S.COLLECTED),
    (S.MISSING, K.COLLECTED, {}, S.COLLECTED),
    (S.COLLECTED, K.LOADED, {}, S.IN_TRANSIT),
    (S.COLLECTED, K.LOADED, SAME, "same_campus"),
    (S.RESULT_READY, K.LOADED, {}, S.RETURN_IN_TRANSIT),
    (S.RESULT_READY, K.LOADED, SAME, "same_campus"),
    (S.MISROUTED, K.LOADED, {}, S.IN_TRANSIT),
    (S.MISROUTED, K.LOADED, {"leg": Leg.RETURN}, S.RETURN_IN_TRANSIT),
    (S.MISSING, K.LOADED, {}, S.IN_TRANSIT),
    (S.RETURNED_TO_SENDER, K.LOADED, {"current": XL, "leg": Leg.RETURN}, S.RETURN_IN_TRANSIT),
    (S.RETURNED_TO_SENDER, K.LOADED, {"current": NH, "leg": Leg.RETURN}, "same_campus"),
    (S.IN_TRANSIT, K.UNLOADED, {"at": XL}, S.ARRIVED),
    (S.IN_TRANSIT, K.UNLOADED, {}, S.ARRIVED),
    (S.IN_TRANSIT, K.UNLOADED, {"at": DJ}, S.MISROUTED),
    (S.RETURN_IN_TRANSIT, K.UNLOADED, {"at": NH}, S.RETURN_ARRIVED),
    (S.RETURN_IN_TRANSIT, K.UNLOADED, {"at": DJ}, S.MISROUTED),
    (S.MISSING, K.UNLOADED, {}, S.ARRIVED),
    # A change of bus at the hub its plan names is a transfer; elsewhere it stays a misroute.
    (S.IN_TRANSIT, K.UNLOADED, {"at": DJ, "change": DJ}, S.AT_HUB),
    (S.IN_TRANSIT, K.UNLOADED, {"change": DJ}, S.AT_HUB),
    (S.RETURN_IN_TRANSIT, K.UNLOADED, {"at": DJ, "change": DJ}, S.AT_HUB),
    (S.RETURN_IN_TRANSIT, K.UNLOADED, {"at": XL, "change": DJ}, S.MISROUTED),
    (S.IN_TRANSIT, K.TRANSFERRED, {"at": DJ, "change": DJ}, S.AT_HUB),
    (S.IN_TRANSIT, K.TRANSFERRED, {"at": DJ}, "no_transfer_planned"),
    (S.RETURN_IN_TRANSIT, K.TRANSFERRED, {"at": DJ, "change": DJ}, S.AT_HUB),
    (S.MISSING, K.TRANSFERRED, {"at": DJ, "change": DJ}, S.AT_HUB),
    (S.AT_HUB, K.LOADED, {"current": DJ}, S.IN_TRANSIT),
    (S.AT_HUB, K.LOADED, {"current": DJ, "leg": Leg.RETURN}, S.RETURN_IN_TRANSIT),
    (S.ARRIVED, K.SORTED, {}, S.SORTED),
    (S.COLLECTED, K.SORTED, SAME, S.SORTED),
    (S.COLLECTED, K.SORTED, {}, "not_arrived"),
    (S.MISSING, K.SORTED, {}, S.SORTED),
    (S.SORTED, K.AGENT_ACCEPTED, {}, S.WITH_AGENT),
    *[(state, K.REASSIGNED, {}, state) for state in sorted(AGENT_STATES)],
    (S.WITH_AGENT, K.HANDED_TO_DEPARTMENT, {}, S.AT_DEPARTMENT),
    (S.WITH_AGENT, K.HANDED_TO_DEPARTMENT, JOINT_HALF, S.AT_DEPARTMENT),
    (S.WITH_AGENT, K.HANDED_TO_DEPARTMENT, JOINT_DONE, "joint_complete"),
    (S.AT_DEPARTMENT, K.RETURNED_BY_DEPARTMENT, JOINT_START, S.WITH_AGENT),
    (S.AWAITING_SIGNATURE, K.RETURNED_BY_DEPARTMENT, JOINT_HALF, S.WITH_AGENT),
    (S.AT_DEPARTMENT, K.RETURNED_BY_DEPARTMENT, {}, "not_joint"),
    (S.AT_DEPARTMENT, K.APPROVED, JOINT_HALF, "joint_needs_return"),
    (S.WITH_AGENT, K.RESULT_READY, JOINT_HALF, "joint_incomplete"),
    (S.WITH_AGENT, K.RESULT_READY, JOINT_DONE, S.RESULT_READY),
    (S.AT_DEPARTMENT, K.AWAITING_SIGNATURE, {}, S.AWAITING_SIGNATURE),
    *[(state, K.MATERIALS_REQUESTED, {}, S.AWAITING_MATERIALS) for state in WORKING],
    (S.AWAITING_MATERIALS, K.MATERIALS_RECEIVED, {}, S.WITH_AGENT),
    (S.AT_DEPARTMENT, K.APPROVED, {}, S.APPROVED),
    (S.AWAITING_SIGNATURE, K.APPROVED, {}, S.APPROVED),
    *[(state, K.REJECTED, {}, S.REJECTED) for state in WORKING],
    (S.WITH_AGENT, K.RESULT_READY, {}, S.RESULT_READY),
    (S.APPROVED, K.RESULT_READY, {}, S.RESULT_READY),
    (S.REJECTED, K.RESULT_READY, {}, S.RESULT_READY),
    (S.RESULT_READY, K.PLACED_AT_DESK, SAME, S.AT_DESK),
    (S.RESULT_READY, K.PLACED_AT_DESK, {}, "not_arrived"),
    (S.RETURN_ARRIVED, K.PLACED_AT_DESK, {}, S.AT_DESK),
    (S.RETURNED_TO_SENDER, K.PLACED_AT_DESK, {"current": NH}, S.AT_DESK),
    (S.RETURNED_TO_SENDER, K.PLACED_AT_DESK, {"current": XL}, "not_arrived"),
    (S.AWAITING_PICKUP, K.PLACED_AT_DESK, {}, S.AT_DESK),
    (S.AT_DESK, K.PICKED_UP, {}, S.PICKED_UP),
    (S.RESULT_READY, K.PLACED_FOR_PICKUP, SAME, S.AWAITING_PICKUP),
    (S.RESULT_READY, K.PLACED_FOR_PICKUP, {}, "not_arrived"),
    (S.RETURN_ARRIVED, K.PLACED_FOR_PICKUP, {}, S.AWAITING_PICKUP),
    (S.RETURNED_TO_SENDER, K.PLACED_FOR_PICKUP, {"current": NH}, S.AWAITING_PICKUP),
    (S.RETURNED_TO_SENDER, K.PLACED_FOR_PICKUP, {"current": XL}, "not_arrived"),
    (S.AWAITING_PICKUP, K.PICKED_UP, {}, S.PICKED_UP),
    (S.AWAITING_PICKUP, K.HANDED_TO_COLLEAGUE, {}, S.AWAITING_PICKUP),
    (S.CREATED, K.CANCELLED, {}, S.CANCELLED),
    (S.DEPOSITED, K.CANCELLED, {}, S.CANCELLED),
    (S.COLLECTED, K.CANCELLED, {}, "too_late_to_cancel"),
    *[(state, K.MISSING, {}, S.MISSING) for state in sorted(IN_NETWORK - {S.MISSING})],
    *[
        (state, K.MISROUTED, {}, S.MISROUTED)
        for state in (
            S.IN_TRANSIT,
            S.AT_HUB,
            S.ARRIVED,
            S.SORTED,
            S.RETURN_IN_TRANSIT,
            S.RETURN_ARRIVED,
        )
    ],
    *[
        (state, K.RETURNED_TO_SENDER, {}, S.RETURNED_TO_SENDER)
        for state in (
            S.DEPOSITED,
            S.COLLECTED,
            S.ARRIVED,
            S.SORTED,
            *sorted(AGENT_STATES),
            S.RESULT_READY,
            S.MISROUTED,
            S.RETURN_ARRIVED,
        )
    ],
    *[(state, K.DAMAGED, {}, state) for state in sorted(IN_NETWORK)],
    *[
        (state, K.MISSED, {}, state)
        for state in (S.COLLECTED, S.AT_HUB, S.RESULT_READY, S.MISROUTED, S.RETURNED_TO_SENDER)
    ],
]


def outcome(result):
    return result.code if isinstance(result, Refusal) else result


@pytest.mark.parametrize(
    ("state", "kind", "overrides", "expected"),
    CASES,
    ids=[f"{s}-{k}-{e}" for s, k, _o, e in CASES],
)
def test_transition(state, kind, overrides, expected):
    assert outcome(next_state(kind, situation(state, **overrides))) == expected


def test_the_cases_above_cover_every_entry_of_the_transition_table():
    table = {(state, kind) for kind, rules in TRANSITIONS.items() for state in rules}
    assert table <= {(state, kind) for state, kind, _o, _e in CASES}


UNLISTED = sorted(
    (state, kind)
    for state, kind in itertools.product(State, Kind)
    if state not in TERMINAL and state not in TRANSITIONS.get(kind, {})
)


@pytest.mark.parametrize(("state", "kind"), UNLISTED)
def test_every_other_event_is_refused_as_out_of_order(state, kind):
    expected = "too_late_to_cancel" if kind is K.CANCELLED else "out_of_order"
    assert outcome(next_state(kind, situation(state))) == expected


@pytest.mark.parametrize("kind", list(Kind))
def test_nothing_happens_after_pickup(kind):
    refusal = next_state(kind, situation(S.PICKED_UP))
    assert refusal.code == "picked_up"
    assert "already picked up on %(when)s" in refusal.message


@pytest.mark.parametrize("kind", list(Kind))
def test_nothing_happens_after_cancellation(kind):
    assert next_state(kind, situation(S.CANCELLED)).code == "cancelled"


def test_the_route_ahead_of_a_new_cross_campus_consignment():
    assert happy_path(situation(S.CREATED)) == [
        K.DEPOSITED, K.COLLECTED, K.LOADED, K.UNLOADED, K.SORTED, K.AGENT_ACCEPTED,
        K.HANDED_TO_DEPARTMENT, K.APPROVED, K.RESULT_READY, K.LOADED, K.UNLOADED,
        K.PLACED_FOR_PICKUP, K.PICKED_UP,
    ]  # fmt: skip


def test_a_same_campus_route_skips_the_shuttle():
    assert happy_path(situation(S.COLLECTED, **SAME)) == [
        K.SORTED, K.AGENT_ACCEPTED, K.HANDED_TO_DEPARTMENT, K.APPROVED, K.RESULT_READY,
        K.PLACED_FOR_PICKUP, K.PICKED_UP,
    ]  # fmt: skip


def test_the_route_ahead_while_materials_are_awaited_starts_with_the_handover_again():
    assert happy_path(situation(S.AWAITING_MATERIALS, **SAME))[:2] == [
        K.HANDED_TO_DEPARTMENT, K.APPROVED,
    ]  # fmt: skip


def test_the_route_ahead_on_the_return_leg():
    assert happy_path(situation(S.RETURN_IN_TRANSIT)) == [
        K.UNLOADED, K.PLACED_FOR_PICKUP, K.PICKED_UP,
    ]  # fmt: skip


def test_the_route_ahead_of_a_joint_item_passes_each_department_in_turn():
    assert happy_path(situation(S.SORTED, **SAME, **JOINT_START))[:6] == [
        K.AGENT_ACCEPTED, K.HANDED_TO_DEPARTMENT, K.RETURNED_BY_DEPARTMENT,
        K.HANDED_TO_DEPARTMENT, K.RETURNED_BY_DEPARTMENT, K.RESULT_READY,
    ]  # fmt: skip


def test_the_route_ahead_at_the_second_department_of_a_joint_item():
    assert happy_path(situation(S.AT_DEPARTMENT, **SAME, **JOINT_HALF))[:2] == [
        K.RETURNED_BY_DEPARTMENT, K.RESULT_READY,
    ]  # fmt: skip


def test_nothing_is_ahead_after_pickup():
    assert happy_path(situation(S.PICKED_UP)) == []


def test_the_route_ahead_while_changing_bus_at_the_hub_starts_with_the_next_load():
    assert happy_path(situation(S.AT_HUB, current=DJ))[:3] == [K.LOADED, K.UNLOADED, K.SORTED]
    assert happy_path(situation(S.AT_HUB, current=DJ, leg=Leg.RETURN)) == [
        K.LOADED, K.UNLOADED, K.PLACED_FOR_PICKUP, K.PICKED_UP,
    ]  # fmt: skip
