import sys

from pkgapp import BANNER
from pkgapp.tool import shout

print(BANNER, shout(" ".join(sys.argv[1:])), sys.argv[0].endswith("__main__.py"), __spec__.name)
