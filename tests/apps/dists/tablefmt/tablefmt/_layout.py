def widths(rows):
    return [max(len(row[i]) for row in rows) for i in range(len(rows[0]))] if rows else []
