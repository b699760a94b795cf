"""Service (ML Engineers): the container's HEALTHCHECK — exit 0 when /healthz answers 200 on PORT."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

from .settings import Settings


def main(timeout: float = 2.0) -> int:
    url = f"http://127.0.0.1:{Settings().port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as error:
        print(f"healthcheck: {url}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
