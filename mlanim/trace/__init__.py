"""Traces: the recorded run on disk, and the cache that makes re-rendering skip training."""

from mlanim.trace.format import Channel, Trace, TraceWriter, load_trace

__all__ = ["Channel", "Trace", "TraceWriter", "load_trace"]
