import sys

from vipmg_core.cli import main

sys.exit(main())
