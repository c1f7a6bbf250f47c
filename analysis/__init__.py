"""Questions answered on top of ``geo``: coverage, gaps, evacuation, sites, privacy, reports."""
