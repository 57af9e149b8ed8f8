"""A local stand-in for the Wix Data Mover API, for the demo, integration tests and benchmarks."""

from .seed import DEMO_API_KEY, DEMO_SITE_ID
from .server import Emulator
from .state import EmulatorState, Fault, JobTimeline

__all__ = ["DEMO_API_KEY", "DEMO_SITE_ID", "Emulator", "EmulatorState", "Fault", "JobTimeline"]
