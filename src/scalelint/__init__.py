"""scalelint: finds what makes an AI-built web app fall over under load, before launch does."""

import time

__version__ = "0.1.0"

# When scalelint's first module loaded: `--time` counts from here (Python's own start-up
# comes before it and is not seen).
STARTED = time.perf_counter()
