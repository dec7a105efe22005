"""soundscape: endless, seamless ambient sound.

Audio convention, stated once for the whole package: float32 numpy arrays shaped
(channels, frames); the mixer runs in stereo at the scene's sample rate (48 kHz by
default). Time inside the core is counted in integer frames.
"""

__version__ = "0.1.0"
