"""Tiny hub-layout checkpoint builders, one module per model family (built from configs, no downloads)."""
