"""What the municipality receives: the hospital's message, with the checklist result beside it."""
