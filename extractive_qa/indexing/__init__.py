"""Turning files and given texts into passages in the document store, with a report of what was done."""
