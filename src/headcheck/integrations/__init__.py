"""headcheck inside other tools: pandas, Scrapy, datatrove, Spark."""
