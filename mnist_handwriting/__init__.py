"""mnist-handwriting: turn MNIST digit images into human-like pen trajectories.

The library never reads argv, prints results or exits; see ``mnist_handwriting.cli``
for the command-line shell around it.
"""

__version__ = "0.1.0"
