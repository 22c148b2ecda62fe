import pluggy

hookimpl = pluggy.HookimplMarker("plugshop")


class Discount:
    @hookimpl
    def adjust_price(self, price):
        return -price * 0.1


class Tax:
    @hookimpl
    def adjust_price(self, price):
        return price * 0.2
