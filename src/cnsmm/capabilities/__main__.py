"""``python -m cnsmm.capabilities > docs/capabilities.md`` regenerates the catalogue page."""

import sys

from cnsmm.capabilities import render_catalogue_markdown

sys.stdout.write(render_catalogue_markdown())
