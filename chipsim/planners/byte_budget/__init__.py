"""The planner of ``optimal`` on chains whose activations differ in size, under a
byte budget (rotor-style): ``recurrence`` states it and emits the plan,
``tables`` fills its tables."""
