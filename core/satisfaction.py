"""The five levels of 好差评 that every rating in the product uses, window or 代办 alike."""

from __future__ import annotations

from core.errors import N_

#: Level → label, best first (5 非常满意 ... 1 非常不满意).
LEVELS = {
    5: N_("Very satisfied"),
    4: N_("Satisfied"),
    3: N_("Neutral"),
    2: N_("Dissatisfied"),
    1: N_("Very dissatisfied"),
}
#: At or below this level a rating is a 差评 and opens a follow-up (整改).
POOR_AT = 2
#: At or above this level a rating counts as satisfied (满意 and 非常满意).
SATISFIED_AT = 4
