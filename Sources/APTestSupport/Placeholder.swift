/// Placeholder namespace until the APTestSupport target has its first type.
enum APTestSupportPlaceholder {}
