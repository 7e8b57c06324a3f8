"""The framework-neutral core: schedules as pure functions of the step."""
