import sys

from limen_tui.cli.main import main

sys.exit(main())
