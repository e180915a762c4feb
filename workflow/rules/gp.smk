# Gaussian-process loss landscapes with a continuous Matern smoothness.
