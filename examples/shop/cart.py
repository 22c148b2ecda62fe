"""A basket of items and its receipt."""

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class Cart:
    catalog: dict
    items: Counter = field(default_factory=Counter)

    def add(self, sku):
        if sku not in self.catalog:
            raise KeyError(f"unknown item {sku!r}")
        self.items[sku] += 1

    def lines(self):
        for sku, count in sorted(self.items.items()):
            name, price = self.catalog[sku]
            yield name, count, price * count

    def total(self):
        return sum((amount for _, _, amount in self.lines()), Decimal("0"))

    def receipt(self):
        rows = [f"{count} x {name:<12} {amount:>6}" for name, count, amount in self.lines()]
        rows.append(f"{'total':<16} {self.total():>6}")
        return "\n".join(rows)
