/// Placeholder namespace until the Agent target has its first type.
enum AgentPlaceholder {}
