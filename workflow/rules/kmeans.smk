# K-means solution landscapes with outliers.
