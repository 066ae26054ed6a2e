import sys

from augspec.cli import main

sys.exit(main())
