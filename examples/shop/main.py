"""A tiny shop: prices a basket of items from the catalogue and prints the receipt.

    python examples/shop/main.py [SKU...] [--export FILE.csv]

It imports ``export`` at the top for a feature that a plain run never uses.
"""

import sys

from cart import Cart
from catalog import load_catalog

import export  # only needed for --export


def main(argv):
    export_to = None
    if "--export" in argv:
        i = argv.index("--export")
        export_to = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    cart = Cart(load_catalog())
    for sku in argv or ["apple", "apple", "bread", "cheese"]:
        cart.add(sku)
    print(cart.receipt())
    if export_to:
        export.write_csv(cart, export_to)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
