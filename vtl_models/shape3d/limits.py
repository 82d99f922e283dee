"""What the Image to 3D predictor accepts (torch-free: the tab's sliders read these while the UI is built)."""

THRESHOLD_RANGE = (0.02, 0.95)  # occupancy probability where the mesh's surface is drawn
SMOOTHING_RANGE = (0.0, 3.0)  # Gaussian smoothing of the grid before meshing, in voxels
