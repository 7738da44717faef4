"""Text before it is embedded: cleaning and cutting, boilerplate rules, languages."""
