"""Decision trees, forests and boosting as scikit-learn fits them: what the tree kinds draw is
read from the fitted estimators, or computed as they compute it (`splits`)."""
