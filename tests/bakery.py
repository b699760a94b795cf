"""Former home of the template's test helpers; re-exports harness.py until every importer moves there."""

from __future__ import annotations

from harness import (  # noqa: F401
    CHOICES,
    DEFAULTS,
    OPTIONS,
    TEMPLATE_DIR,
    answers_of,
    bake,
    combo_id,
    find_interpreter,
    free_port,
    grouped_param,
    pairwise,
    project_env,
    project_files,
    run,
    wait_http,
)
