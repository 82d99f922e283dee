"""Tab: Person search. (ARN, CVPRW 2018)"""

import functools

from demos.common import placeholder_demo

# The reid model is not trained yet: the tab says so instead of showing fake output.
create_demo = functools.partial(
    placeholder_demo, "reid", "Pick a person seen by one camera; get the best matches from the other cameras."
)
