"""Pure signal-processing helpers: no I/O, no state beyond what callers pass in."""
