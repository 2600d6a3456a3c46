"""Data protection: encryption, keys, the audit chain and retention."""
