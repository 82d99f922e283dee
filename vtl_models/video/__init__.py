"""Video completion from anchor frames: a stochastic recurrent conditional GAN (SR-cGAN) at small scale."""
