"""scalelint: finds what makes an AI-built web app fall over under load, before launch does."""

__version__ = "0.1.0"
