"""Tab: Image to 3D. (2D-3D self-consistency, Liao, Yang, Wang)"""

import functools

from demos.common import placeholder_demo

# The shape3d model is not trained yet: the tab says so instead of showing fake output.
create_demo = functools.partial(
    placeholder_demo, "shape3d", "Give one image of an object; get its 3D mesh, pose and silhouette."
)
