"""``grades-mock proxy``: forwards a frontend's traffic to a real instance and judges every answer
with the contract's checks, as it streams."""
