"""The scene studio: one websocket client edits one scene file while it plays.

The studio is a few files, one job each:

* studio_doc.py: the file being edited (:class:`StudioDoc`, owned by the event
  loop) and the only code that reads or writes it, as pure worker functions; an
  invalid scene is never written and an edit is never lost to a reload.
* studio_edits.py: form edits and dropped files applied to the TOML text with
  tomlkit (comments and layout kept).
* studio_messages.py: the page's messages, checked (a table of small readers), and
  a layer as the page's strip shows it.
* studio_upload.py: dropped audio files stored beside the scene, atomically and
  never over another file.
* studio_stream.py: what plays: the :class:`StudioStream` with its meters, badges
  and timeline, audition overrides, and moving a graph forward.
* studio_session.py: the I/O edge that ties them to a websocket and the server.

This module keeps the names the studio had when it was one file, for callers that
import them from here; new code imports from the module with the job.
"""

from __future__ import annotations

from .studio_doc import DiskStamp, SaveConflict, StudioDoc, problems_of, stamp_of
from .studio_edits import MAX_PATH, add_file_layer, path_parts, set_value
from .studio_messages import (
    MAX_SEEK_S,
    MAX_STUDIO_MESSAGE,
    STUDIO_TYPES,
    layer_strip,
    parse_studio,
)
from .studio_stream import (
    EDIT_CROSSFADE_S,
    HORIZON_S,
    SEEK_CROSSFADE_S,
    Overrides,
    StudioStream,
    advance,
    apply_overrides,
    badges,
    timeline,
)
from .studio_upload import MAX_UPLOAD_BYTES, UPLOAD_TYPES, store_upload, upload_name

__all__ = [
    "EDIT_CROSSFADE_S", "HORIZON_S", "MAX_PATH", "MAX_SEEK_S", "MAX_STUDIO_MESSAGE",
    "MAX_UPLOAD_BYTES", "SEEK_CROSSFADE_S", "STUDIO_TYPES", "UPLOAD_TYPES",
    "DiskStamp", "Overrides", "SaveConflict", "StudioDoc", "StudioStream", "add_file_layer",
    "advance", "apply_overrides", "badges", "layer_strip", "parse_studio", "path_parts",
    "problems_of", "set_value", "stamp_of", "store_upload", "timeline", "upload_name",
]
