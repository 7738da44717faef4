"""``headcheck.scrapy``: the path users write in their settings and imports. The code
is in :mod:`headcheck.integrations.scrapy`."""

from headcheck.integrations.scrapy import HeadcheckPipeline, HeadlineMismatch
from headcheck.integrations.scrapy_settings import PipelineSettings

__all__ = ["HeadcheckPipeline", "HeadlineMismatch", "PipelineSettings"]
