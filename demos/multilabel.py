"""Tab: Labels + attention. (Order-Free RNN with Visual Attention, AAAI 2018)"""

import functools

from demos.common import placeholder_demo

# The multilabel model is not trained yet: the tab says so instead of showing fake output.
create_demo = functools.partial(
    placeholder_demo, "multilabel", "Give an image; get every label present, each with its own attention map."
)
