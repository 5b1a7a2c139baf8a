"""The room's desktop: the X display, its input, clipboard and screen."""
