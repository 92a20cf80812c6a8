"""Opening the configured document store, and what the application needs of each kind beyond Haystack's protocol."""
