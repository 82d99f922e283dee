"""Image to 3D: voxels, mask and pose from one image with 2D-3D self-consistency (Liao, Yang, Wang)."""
