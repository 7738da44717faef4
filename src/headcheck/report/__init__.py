"""The corpus report: counts, figures, and the HTML or Markdown page."""
