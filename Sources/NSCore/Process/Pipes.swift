import Glibc

/// A started process together with the caller's ends of its ``StdioSource/pipe`` streams, as
/// ``Container/spawnWithPipes(_:)`` and ``Container/joinWithPipes(_:)`` return it.
///
/// Each end is an ``OwnedFD`` (`O_CLOEXEC`): it belongs to this value, which closes it when it
/// goes away, unless the caller takes it (`piped.stdout.take()`) or releases it. Streams that
/// are not pipes have `nil` here.
///
/// Closing the stdin end tells the command its input has ended. Closing a stdout or stderr end
/// while the command still writes gives the command SIGPIPE, whose default action ends it (a
/// command starts with default signal dispositions); the caller's process is never signalled.
public struct PipedContainer: ~Copyable {
    /// The process.
    public let container: Container
    /// The write end of the command's standard input, or nil.
    public var stdin: OwnedFD?
    /// The read end of the command's standard output, or nil.
    public var stdout: OwnedFD?
    /// The read end of the command's standard error, or nil.
    public var stderr: OwnedFD?
    /// The multiplexer (master) side of the command's terminal
    /// (``ProcessConfiguration/terminal``), or nil: what the command writes to its terminal is
    /// read here, and what is written here is its input.
    public var terminal: OwnedFD?

    init(_ container: Container, _ ends: PipeEnds) {
        self.container = container
        self.stdin = ends.take(0)
        self.stdout = ends.take(1)
        self.stderr = ends.take(2)
        self.terminal = ends.take(PipeEnds.terminal)
    }

    /// Writes `input` to the command's stdin (then closes it), reads its stdout and stderr to
    /// the end, and waits for it, like Python's `Popen.communicate`.
    ///
    /// The three pipes are served together with `poll(2)`, so that a command that writes much
    /// output before it reads all of its input (or the other way round) cannot deadlock. Output
    /// of a stream that is not a pipe is empty. Input for a stdin that is not a pipe is an
    /// invalid argument. If the command exits, or closes its stdin, before it has read all of
    /// `input`, the rest is dropped: the write fails with EPIPE, and the SIGPIPE it raises is
    /// blocked in the calling thread for the duration of the call and consumed, so it never
    /// reaches the caller's process. A stdin end without `input` is closed at once.
    ///
    /// The corresponding syscalls are `poll(2)`, `read(2)`, `write(2)`, `waitid(2)`.
    /// - Parameter input: bytes for the command's stdin, or nil.
    /// - Returns: how the command ended and everything it wrote to its stdout and stderr pipes.
    /// - Throws: ``NSCoreError`` if `input` is given without a stdin pipe, or if a read, a
    ///   write (other than EPIPE) or the wait fails.
    public consuming func communicate(input: [UInt8]? = nil) throws(NSCoreError) -> CapturedOutput {
        if input != nil && stdin == nil {
            throw .invalid("communicate", "communicate: input was given, but stdin is not a pipe")
        }
        var io = PipeIO(input: input ?? [],
                        stdin: Self.release(stdin.take()), stdout: Self.release(stdout.take()),
                        stderr: Self.release(stderr.take()))
        let container = self.container
        try io.run()
        let status = try container.wait()
        return CapturedOutput(status: status, stdout: io.output, stderr: io.errors)
    }

    /// The raw number of `fd`, now owned by the caller, or -1.
    private static func release(_ fd: consuming OwnedFD?) -> Int32 {
        switch consume fd {
        case .some(let f): return f.release()
        case .none: return -1
        }
    }
}

/// How a command run by ``Container/run(_:input:)`` (or
/// ``PipedContainer/communicate(input:)``) ended, and what it wrote.
public struct CapturedOutput: Sendable, Equatable {
    /// How it ended.
    public var status: ExitStatus
    /// Everything it wrote to its standard output pipe (empty if stdout was not a pipe).
    public var stdout: [UInt8]
    /// Everything it wrote to its standard error pipe (empty if stderr was not a pipe).
    public var stderr: [UInt8]

    public init(status: ExitStatus, stdout: [UInt8], stderr: [UInt8]) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

extension Container {
    /// Starts a process as ``spawn(_:)`` does, and returns the caller's ends of its
    /// ``StdioSource/pipe`` streams with it. The pipes are made before the clone; if the spawn
    /// fails, both ends of each are closed.
    /// - Throws: ``NSCoreError``, as ``spawn(_:)``.
    public static func spawnWithPipes(_ configuration: SpawnConfiguration) throws(NSCoreError) -> PipedContainer {
        let ends = PipeEnds()
        let container = try spawn(configuration, pipes: ends)
        return PipedContainer(container, ends)
    }

    /// Runs a command in existing namespaces as ``join(_:)`` does, and returns the caller's ends
    /// of its ``StdioSource/pipe`` streams with it.
    /// - Throws: ``NSCoreError``, as ``join(_:)``.
    public static func joinWithPipes(_ configuration: JoinConfiguration) throws(NSCoreError) -> PipedContainer {
        let ends = PipeEnds()
        let container = try Joiner.join(configuration, pipes: ends)
        return PipedContainer(container, ends)
    }

    /// Spawns a container, feeds it `input`, collects its output and waits for it to end:
    /// `subprocess.run(..., capture_output=True)` for containers.
    ///
    /// Streams the configuration leaves at ``StdioSource/inherit`` are captured: stdout and
    /// stderr become pipes, and stdin becomes one when `input` is given (without `input` it
    /// stays as configured). Streams set to something else (`.null`, `.fd`) are kept, and
    /// their output is empty. See ``PipedContainer/communicate(input:)`` for how the pipes are
    /// served.
    /// - Parameters:
    ///   - configuration: what to run and how to isolate it.
    ///   - input: bytes for the command's stdin, or nil.
    /// - Returns: the exit status and the captured output.
    /// - Throws: ``NSCoreError``, as ``spawn(_:)`` and ``PipedContainer/communicate(input:)``.
    public static func run(_ configuration: SpawnConfiguration,
                           input: [UInt8]? = nil) throws(NSCoreError) -> CapturedOutput {
        var c = configuration
        if c.process.stdout == .inherit { c.process.stdout = .pipe }
        if c.process.stderr == .inherit { c.process.stderr = .pipe }
        if input != nil && c.process.stdin == .inherit { c.process.stdin = .pipe }
        return try spawnWithPipes(c).communicate(input: input)
    }
}

/// The poll loop behind ``PipedContainer/communicate(input:)``. It owns the three fds (-1:
/// absent) and closes each when done with it.
private struct PipeIO: ~Copyable {
    let input: [UInt8]
    var written = 0
    var output: [UInt8] = []
    var errors: [UInt8] = []
    var inFD: Int32, outFD: Int32, errFD: Int32

    init(input: [UInt8], stdin: Int32, stdout: Int32, stderr: Int32) {
        self.input = input
        self.inFD = stdin
        self.outFD = stdout
        self.errFD = stderr
        // Nothing to write: the command sees end of file at once.
        if input.isEmpty { closeInput() }
    }

    deinit {
        for fd in [inFD, outFD, errFD] where fd >= 0 { sys_close(fd) }
    }

    private mutating func closeInput() {
        if inFD >= 0 { sys_close(inFD) }
        inFD = -1
    }

    /// Serves the fds until stdin is written (or broken) and both outputs reach end of file.
    mutating func run() throws(NSCoreError) {
        if inFD >= 0, case .failure(let e) = sys_setNonBlocking(inFD) { throw .sys(e, "fcntl(O_NONBLOCK) stdin pipe") }
        let saved = inFD >= 0 ? sys_blockSIGPIPE() : nil
        var raised = false
        defer { if let saved { sys_restoreSIGPIPE(saved, raised: raised) } }
        let chunk = 1 << 16
        var buffer = [UInt8](repeating: 0, count: chunk)
        var fds = [pollfd](repeating: pollfd(), count: 3)
        while inFD >= 0 || outFD >= 0 || errFD >= 0 {
            fds[0] = pollfd(fd: inFD, events: Int16(POLLOUT), revents: 0)
            fds[1] = pollfd(fd: outFD, events: Int16(POLLIN), revents: 0)
            fds[2] = pollfd(fd: errFD, events: Int16(POLLIN), revents: 0)
            let polled = fds.withUnsafeMutableBufferPointer { sys_poll($0, timeoutMilliseconds: -1) }
            if case .failure(let e) = polled { throw .sys(e, "poll (stdio pipes)") }
            if inFD >= 0 && fds[0].revents != 0 {
                let (fd, from) = (inFD, written)
                let n = input.withUnsafeBytes { all in
                    sys_write(fd, UnsafeRawBufferPointer(rebasing: all[from..<min(all.count, from + chunk)]))
                }
                switch n {
                case .success(let k): written += k
                case .failure(let e) where e.rawValue == EAGAIN: break
                case .failure(let e) where e.rawValue == EPIPE:
                    raised = true
                    written = input.count  // the reader is gone: the rest is dropped
                case .failure(let e): throw .sys(e, "write (stdin pipe)")
                }
                if written >= input.count { closeInput() }  // the command sees end of file
            }
            for (i, fd) in [(1, outFD), (2, errFD)] where fd >= 0 && fds[i].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { sys_read(fd, $0) }
                switch n {
                case .success(0):
                    sys_close(fd)
                    if i == 1 { outFD = -1 } else { errFD = -1 }
                case .success(let k):
                    if i == 1 { output.append(contentsOf: buffer[0..<k]) } else { errors.append(contentsOf: buffer[0..<k]) }
                case .failure(let e) where e.rawValue == EAGAIN: break
                case .failure(let e): throw .sys(e, "read (\(i == 1 ? "stdout" : "stderr") pipe)")
                }
            }
        }
    }
}
