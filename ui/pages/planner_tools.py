"""計画支援ツール: transition to adulthood, subsidy what-if, consultation trends, reconciliation."""

from __future__ import annotations

from ui.sections import planner_tools

planner_tools.render_page()
