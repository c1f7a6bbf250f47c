"""Global defaults for ikemap, read when a function runs (OSMnx's ``settings`` pattern).

Change a value for the whole session with ``geo.settings.snap_max_m = 300``; every function that
takes the matching keyword uses its argument when given and this value otherwise.
"""

from __future__ import annotations

from pathlib import Path

#: Folder with the code tables (care types, service types, hazard levels, road speeds).
data_dir: Path = Path(__file__).resolve().parent.parent / "data"

#: Where ``make app`` builds the demo workspace.
demo_workspace: Path = data_dir / "demo" / "demo.gpkg"

#: CRS of every layer stored in a workspace.
storage_crs: str = "EPSG:4326"

#: Speed of the access leg between a point and its nearest road node (km/h).
access_speed_kph: float = 20.0

#: A point farther than this from any road node is flagged (never dropped), in metres.
snap_max_m: float = 500.0

#: How many nearest compatible facilities to keep per child and service.
k_nearest: int = 3

#: Cap on the facilities kept per child within a threshold (E2SFCA, counts); capped rows reported.
k_max: int = 64

#: Counts from 1 to this minus one are suppressed in aggregate (planner) outputs.
suppression_threshold: int = 10

#: Maximum age accepted in a child register (医療的ケア児 registers run to the end of high school,
#: transition cases a little longer).
max_child_age: int = 25
