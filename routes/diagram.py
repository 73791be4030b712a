"""The network as an SVG picture: campuses on a circle, shuttle lines between them.

Pure text from data (no web framework): the page embeds it or serves it as ``image/svg+xml``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise
from xml.sax.saxutils import escape

from routes.network import Timetable

WIDTH, HEIGHT, RADIUS = 640, 480, 170


@dataclass(frozen=True)
class CampusNode:
    id: int
    code: str
    name: str
    hub: str


#: How each part looks, as presentation attributes: a page's Content-Security-Policy refuses a
#: ``<style>`` element inside an inline SVG, but not these.
LOOK = {
    "edge": 'stroke="#2a6f97" stroke-linecap="round"',
    "edge-label": 'font-family="sans-serif" font-size="13" fill="#1b3a4b"',
    "campus": 'fill="#fff" stroke="#2a6f97" stroke-width="3"',
    "campus-code": 'font-family="sans-serif" font-size="18" font-weight="bold" fill="#1b3a4b"',
    "campus-name": 'font-family="sans-serif" font-size="14" fill="#333"',
    "hub": 'font-family="sans-serif" font-size="12" fill="#666"',
}


def network_svg(timetable: Timetable, campuses: list[CampusNode], title: str) -> str:
    """Campuses as circles (their hub and sorting time beneath), an edge per pair of campuses a
    shuttle links, labelled with the trips of the timetable and the shortest ride in minutes."""
    count = max(len(campuses), 1)
    places = {}
    for index, campus in enumerate(campuses):
        angle = -math.pi / 2 + 2 * math.pi * index / count
        places[campus.id] = (
            WIDTH / 2 + RADIUS * math.cos(angle),
            HEIGHT / 2 + RADIUS * math.sin(angle),
        )
    rides: dict[tuple[int, int], list[int]] = defaultdict(list)
    for trip in timetable.trips:
        for (a, _, dep), (b, arr, _) in pairwise(trip.calls):
            ca, cb = timetable.stops[a].campus_id, timetable.stops[b].campus_id
            if ca != cb:
                rides[(min(ca, cb), max(ca, cb))].append(arr - dep)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" class="network-diagram">',
        f"<title>{escape(title)}</title>",
    ]
    for (a, b), minutes in sorted(rides.items()):
        if a not in places or b not in places:
            continue
        (x1, y1), (x2, y2) = places[a], places[b]
        width = min(2 + len(minutes) / 4, 10)
        parts.append(
            f'<line class="edge" {LOOK["edge"]} '
            f'x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" '
            f'stroke-width="{width:.1f}" data-rides="{len(minutes)}"/>'
        )
        parts.append(
            f'<text class="edge-label" {LOOK["edge-label"]} '
            f'x="{(x1 + x2) / 2:.0f}" y="{(y1 + y2) / 2 - 8:.0f}" '
            f'text-anchor="middle">{len(minutes)} × · {min(minutes)} min</text>'
        )
    for campus in campuses:
        x, y = places[campus.id]
        parts.append(
            f'<g class="campus-node" data-campus="{escape(campus.code)}">'
            f'<circle class="campus" {LOOK["campus"]} cx="{x:.0f}" cy="{y:.0f}" r="38"/>'
            f'<text class="campus-code" {LOOK["campus-code"]} '
            f'x="{x:.0f}" y="{y + 6:.0f}" text-anchor="middle">'
            f"{escape(campus.code)}</text>"
            f'<text class="campus-name" {LOOK["campus-name"]} '
            f'x="{x:.0f}" y="{y + 58:.0f}" text-anchor="middle">'
            f"{escape(campus.name)}</text>"
            f'<text class="hub" {LOOK["hub"]} '
            f'x="{x:.0f}" y="{y + 76:.0f}" text-anchor="middle">'
            f"{escape(campus.hub)}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)
