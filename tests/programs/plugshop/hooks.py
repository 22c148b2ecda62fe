import pluggy

hookspec = pluggy.HookspecMarker("plugshop")


@hookspec
def adjust_price(price):
    """Return an amount to add to the price."""
