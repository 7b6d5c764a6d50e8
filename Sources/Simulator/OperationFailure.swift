/// Why ``SimulatedKernel/apply(_:)`` did not perform an operation. In both
/// cases nothing changed and nothing was emitted.
public enum OperationFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kernel refused, as a real host would: the write, open or module
    /// operation returned this errno.
    case kernel(KernelErrno)
    /// The request has no counterpart on a real host (a scenario mistake,
    /// e.g. detaching a guest that holds nothing); the text says why.
    case invalidRequest(String)

    public var description: String {
        switch self {
        case .kernel(let errno): return "\(errno.rawValue) (\(errno.description))"
        case .invalidRequest(let reason): return reason
        }
    }
}
