"""konsent: message customers only where the law allows it, and prove it afterwards.

The library API: build a `Scenario` (or parse one with `parse_scenario`) and `decide` it.
"""

from konsent.domain import Decision, Scenario, decide
from konsent.scenario import ScenarioError, parse_scenario

__version__ = "0.1.0"

__all__ = ["Decision", "Scenario", "ScenarioError", "__version__", "decide", "parse_scenario"]
