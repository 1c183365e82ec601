import sys

from devtools.feast_suite.run import main

sys.exit(main())
