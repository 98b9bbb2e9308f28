"""The shared technical core. It imports no module; modules register with it."""
