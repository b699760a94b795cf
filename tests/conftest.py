"""Shared fixtures of the template's tests (helpers live in bakery.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
