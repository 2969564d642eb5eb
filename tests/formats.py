"""Numbers as French readers expect them, written independently of the code under test."""

NNBSP, NBSP = "\u202f", "\u00a0"  # CLDR's group separator and the space before the currency sign


def euros_fr(value: float) -> str:
    """``1 234,56 €``."""
    return f"{value:,.2f}".replace(",", NNBSP).replace(".", ",") + f"{NBSP}€"
