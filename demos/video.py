"""Tab: Video completion. (SR-cGAN)"""

import functools

from demos.common import placeholder_demo

# The video model is not trained yet: the tab says so instead of showing fake output.
create_demo = functools.partial(
    placeholder_demo, "video", "Give a few anchor frames; get the whole sequence as a GIF, several samples."
)
