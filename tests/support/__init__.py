"""Test and benchmark support (not shipped in ``helpers``)."""
