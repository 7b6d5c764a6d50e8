/// Placeholder namespace until the Simulator target has its first type.
enum SimulatorPlaceholder {}
