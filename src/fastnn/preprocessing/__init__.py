"""Data preprocessing, as keras.preprocessing: `image` (loading image files, augmentation)."""
