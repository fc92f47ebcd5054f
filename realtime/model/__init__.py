"""Network definitions: the style transformer and the loss network used to train it."""
