import CNSCoreShim

/// The rules for network interface names (the kernel's `dev_valid_name`).
///
/// A name is 1 to 15 bytes (`IFNAMSIZ` - 1), is not `.` or `..`, and holds no `/`, no `:`, no
/// whitespace and no NUL. NSCore also refuses `%`, which the kernel reads as a template
/// (`eth%d` becomes the first free `ethN`). Checking here first turns what the kernel would
/// report as a bare `EINVAL` or `ERANGE` into an error that says which rule the name broke.
public enum InterfaceName {
    /// The longest name in bytes: 15.
    public static let maximumLength = Int(nsc_shim_IFNAMSIZ) - 1

    /// Checks `name` against the kernel's rules.
    /// - Parameters:
    ///   - name: the proposed name.
    ///   - role: what the name is for, in the error ("interface name", "peer name", ...).
    /// - Throws: ``NSCoreError`` (invalid argument) naming the rule broken.
    public static func validate(_ name: String, role: String = "interface name") throws(NSCoreError) {
        let stage = "validate \(role)"
        let count = name.utf8.count
        if count == 0 { throw .invalid(stage, "the \(role) is empty") }
        if count > maximumLength {
            throw .invalid(stage, "the \(role) '\(name)' is \(count) bytes long; Linux allows at most \(maximumLength)")
        }
        if name == "." || name == ".." { throw .invalid(stage, "the \(role) '\(name)' is reserved") }
        for byte in name.utf8 {
            switch byte {
            case 0x2f: throw .invalid(stage, "the \(role) '\(name)' contains '/'")
            case 0x3a: throw .invalid(stage, "the \(role) '\(name)' contains ':'")
            case 0x25:
                // The kernel reads "eth%d" as a template and picks the number itself, so the
                // link would not get the name asked for.
                throw .invalid(stage, "the \(role) '\(name)' contains '%', which the kernel takes as a name template")
            case 0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d: throw .invalid(stage, "the \(role) '\(name)' contains whitespace")
            case 0: throw .invalid(stage, "the \(role) contains a NUL byte")
            default: continue
            }
        }
    }

    /// True when `name` is a valid interface name.
    public static func isValid(_ name: String) -> Bool {
        (try? validate(name)) != nil
    }
}
