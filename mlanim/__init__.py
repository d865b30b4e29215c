"""mlanim: turn real neural-network training into lecture videos, slide GIFs and paper figures."""

__version__ = "0.1.0"
