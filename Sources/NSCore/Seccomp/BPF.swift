/// One classic BPF instruction, laid out as the kernel's `struct sock_filter` (8 bytes).
struct BPFInstruction: Hashable, Sendable {
    var code: UInt16
    var jt: UInt8
    var jf: UInt8
    var k: UInt32

    // linux/bpf_common.h
    static let ldAbsWord: UInt16 = 0x20     // BPF_LD | BPF_W | BPF_ABS
    static let andK: UInt16 = 0x54          // BPF_ALU | BPF_AND | BPF_K
    static let jumpAlways: UInt16 = 0x05    // BPF_JMP | BPF_JA
    static let jumpEqual: UInt16 = 0x15     // BPF_JMP | BPF_JEQ | BPF_K
    static let jumpGreater: UInt16 = 0x25   // BPF_JMP | BPF_JGT | BPF_K
    static let jumpGreaterEqual: UInt16 = 0x35  // BPF_JMP | BPF_JGE | BPF_K
    static let jumpSet: UInt16 = 0x45       // BPF_JMP | BPF_JSET | BPF_K
    static let returnK: UInt16 = 0x06       // BPF_RET | BPF_K

    static func load(_ offset: UInt32) -> BPFInstruction { .init(code: ldAbsWord, jt: 0, jf: 0, k: offset) }
    static func ret(_ value: UInt32) -> BPFInstruction { .init(code: returnK, jt: 0, jf: 0, k: value) }
    static func jump(_ distance: Int) -> BPFInstruction { .init(code: jumpAlways, jt: 0, jf: 0, k: UInt32(distance)) }
    static func and(_ mask: UInt32) -> BPFInstruction { .init(code: andK, jt: 0, jf: 0, k: mask) }

    /// `struct seccomp_data` offsets: nr, arch, then the six 64-bit arguments (little-endian
    /// on every architecture this compiler targets: the low word first).
    static let offsetNumber: UInt32 = 0
    static let offsetArchitecture: UInt32 = 4
    static func offsetArgument(_ index: UInt32, high: Bool) -> UInt32 { 16 + 8 * index + (high ? 4 : 0) }
}

/// Runs a filter the way the kernel's seccomp does, on a `seccomp_data` described by its
/// fields. Used to check a compiled program against the calls the child must still make after
/// installing it, and by tests for architectures this machine cannot run.
enum BPFInterpreter {
    /// The filter's return value, or nil for a program the kernel would reject at run time
    /// (a jump out of range, an instruction this compiler never emits, no return).
    static func run(_ program: [BPFInstruction], number: Int32, architecture: UInt32,
                    arguments: [UInt64] = []) -> UInt32? {
        func word(_ offset: UInt32) -> UInt32? {
            switch offset {
            case 0: return UInt32(bitPattern: number)
            case 4: return architecture
            case 8, 12: return 0  // instruction_pointer
            case 16..<64:
                let i = Int((offset - 16) / 8)
                let v = i < arguments.count ? arguments[i] : 0
                return (offset - 16) % 8 == 0 ? UInt32(truncatingIfNeeded: v) : UInt32(truncatingIfNeeded: v >> 32)
            default: return nil
            }
        }
        var a: UInt32 = 0
        var pc = 0
        while pc < program.count {
            let i = program[pc]
            pc += 1
            switch i.code {
            case BPFInstruction.ldAbsWord:
                guard let w = word(i.k) else { return nil }
                a = w
            case BPFInstruction.andK: a &= i.k
            case BPFInstruction.jumpAlways: pc += Int(i.k)
            case BPFInstruction.jumpEqual: pc += a == i.k ? Int(i.jt) : Int(i.jf)
            case BPFInstruction.jumpGreater: pc += a > i.k ? Int(i.jt) : Int(i.jf)
            case BPFInstruction.jumpGreaterEqual: pc += a >= i.k ? Int(i.jt) : Int(i.jf)
            case BPFInstruction.jumpSet: pc += a & i.k != 0 ? Int(i.jt) : Int(i.jf)
            case BPFInstruction.returnK: return i.k
            default: return nil
            }
        }
        return nil
    }
}
