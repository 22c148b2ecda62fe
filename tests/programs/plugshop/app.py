import pluggy

from plugshop import hooks, plugins
from plugshop import settings  # only needed to read a settings file, never done here


def main(argv):
    pm = pluggy.PluginManager("plugshop")
    pm.add_hookspecs(hooks)
    pm.register(plugins.Discount())
    pm.register(plugins.Tax())
    price = float(argv[0]) if argv else 100.0
    for adjust in pm.hook.adjust_price(price=price):
        price += adjust
    print(f"final price {price:.2f}")
    return 0
