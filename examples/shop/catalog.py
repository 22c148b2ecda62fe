"""The catalogue: what the shop sells, at what price."""

import json
from decimal import Decimal

_CATALOG = """
{
  "apple":  {"name": "Apple",       "price": "0.40"},
  "bread":  {"name": "Sourdough",   "price": "3.20"},
  "cheese": {"name": "Comté 200 g", "price": "5.90"},
  "milk":   {"name": "Milk 1 l",    "price": "1.15"}
}
"""


def load_catalog():
    """SKU -> (name, price)."""
    raw = json.loads(_CATALOG)
    return {sku: (item["name"], Decimal(item["price"])) for sku, item in raw.items()}
