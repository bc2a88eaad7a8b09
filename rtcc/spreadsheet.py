"""CSV cells that a spreadsheet shows as text, never runs."""


def csv_cell(value) -> str:
    # Residents name their cameras and admins write policies: a cell starting with = + - @
    # would run as a formula in the spreadsheet an auditor opens.
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
