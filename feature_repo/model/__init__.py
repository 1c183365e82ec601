"""The churn model: its learner (plain rows in, probabilities out) and its record in the model registry."""
