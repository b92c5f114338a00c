"""The serial console's terminal: a VT100 screen (pyte) and key presses as bytes. Pure."""
