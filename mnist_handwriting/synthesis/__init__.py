"""Handwriting synthesis (issue 17): a network that writes any number, in a chosen hand."""
