"""One module per subcommand; each exposes ``run(args) -> int``."""

import importlib.util
import sys
from pathlib import Path

# The access gate (package ``gate``, beside ``analysis``) joined the installed packages after
# some editable installs were made; until ``pip install -e .`` runs again, find it in the
# checkout this package comes from.
if importlib.util.find_spec("gate") is None:  # pragma: no cover - depends on the install
    sys.path.append(str(Path(__file__).resolve().parents[2]))
