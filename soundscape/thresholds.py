"""The one table of level thresholds: what "silent", "inaudible", "dominant" and
"muted" mean, for the render report, ``analyze``, the studio's badges and the player.

Loudness is in LUFS / LU (ITU-R BS.1770, as pyloudnorm and the graph's meters
measure it); gains are in dB.
"""

from __future__ import annotations

import math

SILENT_LUFS = -70.0        # a render or layer quieter than this is reported silent
METER_FLOOR_LUFS = -120.0  # what a meter reads with nothing at all in its window
INAUDIBLE_LU = 25.0        # a layer more than this below the mix is not heard in it
DOMINANT_SHARE = 0.97      # a layer carrying more than this share of the layers'
#                            summed energy dominates (the others are decoration)
DOMINANT_LU = -10 * math.log10(DOMINANT_SHARE)  # the same rule as a distance to the mix

GAIN_MIN_DB = -80.0  # a user's layer gain (websocket ``gain``, downloads, studio)...
GAIN_MAX_DB = 12.0   # ... lies in this range
MUTE_DB = GAIN_MIN_DB  # a gain at or below this is silence (exactly 0)


def gain_of_db(db: float) -> float:
    """Linear gain of ``db``: exactly 0 at or below MUTE_DB (mute)."""
    return 0.0 if db <= MUTE_DB else 10 ** (db / 20)
