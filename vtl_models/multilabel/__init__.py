"""Labels + attention: Order-Free RNN with Visual Attention (AAAI 2018) on procedural scenes."""
