"""The decision's file (shipped defaults, the schema) and fitting it to a corpus."""
