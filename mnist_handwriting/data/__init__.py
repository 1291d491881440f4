"""Datasets: thinned MNIST with algorithmic trajectories, human trajectories, raw MNIST and image preprocessing."""
