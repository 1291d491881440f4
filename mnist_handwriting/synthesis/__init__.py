"""Handwriting synthesis (issue 17): the training data of numbers, a network that writes them, and a reader."""
