import Dispatch
import Synchronization

/// Signals delivered to the process, as an `AsyncSequence` of signal numbers.
///
/// Each signal gets a `DispatchSourceSignal`; the initializer returns once every source
/// is registered, so no signal sent afterwards is missed (the shape of
/// swift-service-lifecycle's `UnixSignalsSequence`). On Linux, libdispatch reads
/// the signals through a `signalfd` and takes over their disposition: a trapped
/// SIGTERM no longer terminates the process. The sequence ends when the iterating task
/// is cancelled.
///
/// - Important: Trap a signal in one place only.
public struct UnixSignalSequence: AsyncSequence, Sendable {
    public typealias Element = Int32
    public typealias Failure = Never

    private let storage: Storage

    /// Traps `signals` (e.g. `[SIGTERM, SIGINT]`).
    public init(trapping signals: [Int32]) async {
        let queue = DispatchQueue(label: "aphotplug.signals")
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for signal in Set(signals).sorted() {
            let source = DispatchSource.makeSignalSource(signal: signal, queue: queue)
            source.setEventHandler { continuation.yield(signal) }
            await withCheckedContinuation { (registered: CheckedContinuation<Void, Never>) in
                source.setRegistrationHandler { registered.resume() }
                source.resume()
            }
            sources.append(source)
        }
        storage = Storage(stream: stream, continuation: continuation, sources: sources)
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(storage: storage, iterator: storage.stream.makeAsyncIterator())
    }

    /// Yields each delivered signal; keeps the signal sources alive while iterating.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private let storage: Storage
        private var iterator: AsyncStream<Int32>.Iterator

        fileprivate init(storage: Storage, iterator: AsyncStream<Int32>.Iterator) {
            self.storage = storage
            self.iterator = iterator
        }

        /// The next signal; nil once the iterating task is cancelled.
        public mutating func next() async -> Int32? {
            await iterator.next()
        }
    }

    fileprivate final class Storage: Sendable {
        let stream: AsyncStream<Int32>
        let continuation: AsyncStream<Int32>.Continuation
        private nonisolated(unsafe) let sources: [any DispatchSourceSignal]

        init(stream: AsyncStream<Int32>, continuation: AsyncStream<Int32>.Continuation, sources: [any DispatchSourceSignal]) {
            self.stream = stream
            self.continuation = continuation
            self.sources = sources
        }

        deinit {
            for source in sources { source.cancel() }
            continuation.finish()
        }
    }
}
