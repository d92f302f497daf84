"""The contract suite: property tests any live Grades API instance must pass."""
