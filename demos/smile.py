"""Tab: Smile transfer. (CDRD, Detach and Adapt, CVPR 2018)"""

import functools

from demos.common import placeholder_demo

# The smile model is not trained yet: the tab says so instead of showing fake output.
create_demo = functools.partial(
    placeholder_demo,
    "smile",
    "Give a face (photo or cartoon); get it in the other domain, with the smile added or removed.",
)
