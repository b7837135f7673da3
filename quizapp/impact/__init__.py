"""Did the learning change practice? Confidence before and after a check, the reaction to
it, and the follow-up some weeks after a pass (see quizapp/models/impact.py)."""
