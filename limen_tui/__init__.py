"""limen-tui: a keyboard-driven terminal console for KVM/libvirt hosts."""

__version__ = "0.1.0"
