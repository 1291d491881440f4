"""Evaluation: metrics, the legibility classifier hookup and the report."""
