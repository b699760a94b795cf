"""Core (Data Scientists + ML Engineers): the project's name and slug, as answered at bake time.

They live in project.json (data, not code) so that no Python module carries a templated string:
the API title and the job label of pushed metrics read them from here.
"""

from __future__ import annotations

import json
from importlib.resources import files

_ANSWERS = json.loads(files(__package__).joinpath("project.json").read_text(encoding="utf-8"))

NAME: str = _ANSWERS["name"]
SLUG: str = _ANSWERS["slug"]
