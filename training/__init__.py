"""Training: Certification, continuing education, orientation and shadowing for peer specialists."""
