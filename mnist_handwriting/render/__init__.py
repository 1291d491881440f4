"""Line rasterisers: points in, images out (see :mod:`mnist_handwriting.render.base`)."""
