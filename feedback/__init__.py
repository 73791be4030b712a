"""好差评 that closes the loop: a poor rating's follow-up (整改), its appeal and review."""
