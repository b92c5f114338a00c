import sys

from limen_tui.cli import main

sys.exit(main())
