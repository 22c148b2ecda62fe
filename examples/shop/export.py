"""Export a cart as CSV: only used with --export."""

import csv


def write_csv(cart, path):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["item", "count", "amount"])
        for name, count, amount in cart.lines():
            writer.writerow([name, count, amount])
