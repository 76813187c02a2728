"""Content kept as data files: the resolution in each language and its short summaries."""

from pathlib import Path

CONTENT_DIR = Path(__file__).resolve().parent
