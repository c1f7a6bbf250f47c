"""資源ディレクトリ: browse places and what they can do; who covers an address; placements."""

from __future__ import annotations

from ui.sections import directory

directory.render_page()
