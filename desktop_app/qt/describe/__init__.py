"""The Describe window: describe each of many images, show and export the results."""
