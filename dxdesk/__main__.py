import sys

from dxdesk.cli import main

sys.exit(main())
