"""The drift tool (``grades-kit``): the upstream GitBook page, read leniently, against the spec."""
