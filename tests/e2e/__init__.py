"""End-to-end tests: the simulator and a real Home Assistant process, driven over HTTP."""
