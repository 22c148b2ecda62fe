import sys

from plugshop.app import main

sys.exit(main(sys.argv[1:]))
