"""The board's figures (figures.md), defined once: plain rows in, rates with their numerator and
denominator out. No database and no web code: `storage.figures` reads the rows,
`service.figures` joins the two, and the board page and the CSV export both call it."""
