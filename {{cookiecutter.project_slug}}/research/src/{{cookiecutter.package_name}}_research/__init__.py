"""Research (Data Scientists): helpers the exploration notebooks share."""
