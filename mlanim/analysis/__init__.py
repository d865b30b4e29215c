"""Numbers derived from a trace (never recorded, never invented): diagnoses, projections, grids."""
